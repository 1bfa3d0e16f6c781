// explorer.js — placeholder of the palette explorer: lists the datasets
// from /api/datasets. (The explorer page proper replaces this file.)
"use strict";
fetch("/api/datasets")
  .then((r) => r.json())
  .then((list) => {
    const ul = document.getElementById("datasets");
    for (const d of list) {
      const li = document.createElement("li");
      li.textContent = d.name + " (" + d.n + " samples: " + d.values.join(", ") + ")";
      ul.appendChild(li);
    }
    document.getElementById("status").textContent = list.length + " datasets";
  })
  .catch((e) => {
    document.getElementById("status").textContent = "error: " + e;
  });
