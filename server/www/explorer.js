// explorer.js: the palette explorer's behaviour. It reads the datasets and their statistics from
// /api/datasets, builds one slider per value, solves the palette as the sliders move (debounced,
// at most one request in flight per kind, the latest wins), shows the certificate and the ray
// adjustment of an unattainable palette, and draws the frontier and the histogram as inline SVG.
// Machine-readable results sit in data-* attributes with 17 significant digits (the browser test
// reads them); the text shows rounded numbers.
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const SVGNS = 'http://www.w3.org/2000/svg';
  const DEBOUNCE_MS = 120;
  const MARKS = ['mean', 'q10', 'q25', 'q50', 'q75', 'q90'];
  // Label priority when quantile labels crowd each other on a narrow slider.
  const MARK_PRIORITY = ['mean', 'q50', 'q10', 'q90', 'q25', 'q75'];

  const state = {
    dataset: null,     // name of the dataset shown
    info: null,        // its describe document
    target: {},        // value name -> palette target (exact double; the slider shows it snapped)
    included: {},      // value name -> in the palette or left free
    solve: null,       // the last solve document shown, and the palette that produced it
    solvePalette: null,
    adjust: null,
    frontier: null,
    histogram: null,
    seq: 0,
  };

  // ---------- numbers ----------

  // A rounded number for people: 5 significant digits, exponent form outside [1e-3, 1e6).
  function fmt(x, digits = 5) {
    if (x === null || x === undefined) return '—';
    if (typeof x !== 'number') return String(x);
    if (!Number.isFinite(x)) return String(x);
    const a = Math.abs(x);
    if (a !== 0 && (a < 1e-3 || a >= 1e6)) return x.toExponential(2);
    return String(Number(x.toPrecision(digits)));
  }
  // The exact double, as 17 significant digits (reads back as the same double).
  const exact = (x) => (typeof x === 'number' && Number.isFinite(x) ? x.toPrecision(17) : String(x));

  // A step of 1, 2 or 5 times a power of ten near range/400, so arrows move the slider finely.
  function niceStep(range) {
    if (!(range > 0)) return 1;
    const raw = range / 400;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const f of [5, 2, 1]) if (f * p <= raw) return f * p;
    return p;
  }

  // ---------- the server ----------

  class Problem extends Error {
    constructor(doc) {
      super(doc.detail || doc.title || 'request failed');
      this.doc = doc;
    }
  }

  // GET (body undefined) or POST JSON; resolves to the parsed document, rejects with a Problem.
  async function api(path, body) {
    const headers = {'Accept': 'application/json'};
    const token = sessionStorage.getItem('mapsolve-token');
    if (token) headers['Authorization'] = 'Bearer ' + token;
    const init = {headers};
    if (body !== undefined) {
      init.method = 'POST';
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let r;
    try {
      r = await fetch(path, init);
    } catch (e) {
      throw new Problem({title: 'The server cannot be reached', detail: String(e && e.message || e)});
    }
    const type = r.headers.get('Content-Type') || '';
    const text = await r.text();
    let doc = null;
    try { doc = JSON.parse(text); } catch (e) { doc = null; }
    if (r.status === 401) $('token-form').hidden = false;  // a server bound beyond loopback
    if (!r.ok || type.includes('problem+json')) {
      if (doc && typeof doc === 'object' && !Array.isArray(doc)) {
        if (doc.status === undefined) doc.status = r.status;
        throw new Problem(doc);
      }
      throw new Problem({title: 'HTTP ' + r.status + ' ' + r.statusText, status: r.status,
        detail: text.slice(0, 400)});
    }
    if (doc === null) throw new Problem({title: 'The server sent an answer that is not JSON',
      detail: path + ': ' + text.slice(0, 200)});
    return doc;
  }

  // A request kind with at most one request in flight: want(make, delay) asks for a request built
  // by make() when it is sent (so it carries the latest state); asks made while one is in flight
  // replace each other and the last is sent when the flight lands.
  function channel(run, marker, context) {
    let busy = false, next = null, timer = null;
    const mark = () => {
      const s = busy || next || timer ? 'busy' : 'idle';
      if (marker) {
        marker.dataset.state = s;
        marker.dataset.queued = busy && next ? 'true' : 'false';  // waiting for the flight to land
      }
      updateBusy();
    };
    async function pump() {
      busy = true;
      while (next) {
        const make = next;
        next = null;
        mark();
        const body = make();
        if (body === null) continue;
        try {
          await run(body);
        } catch (e) {
          showError(e, context);
        }
      }
      busy = false;
      mark();
    }
    const ch = {
      want(make, delay = 0) {
        clearTimeout(timer);
        timer = null;
        if (delay > 0) {
          timer = setTimeout(() => { timer = null; ch.want(make); }, delay);
          mark();
          return;
        }
        next = make;
        if (!busy) pump(); else mark();
      },
      cancel() { clearTimeout(timer); timer = null; next = null; mark(); },
      get idle() { return !busy && !next && !timer; },
    };
    return ch;
  }

  // ---------- the error box ----------

  function showError(e, context) {
    const doc = e instanceof Problem ? e.doc : {title: 'Unexpected error', detail: String(e && e.stack || e)};
    const box = $('error');
    $('error-title').textContent = (context ? context + ': ' : '') + (doc.title || 'Error') +
      (doc.status ? ' (' + doc.status + ')' : '');
    let detail = doc.detail || '';
    if (doc.field) detail += (detail ? ' ' : '') + '[field: ' + doc.field + ']';
    $('error-detail').textContent = detail;
    box.dataset.status = doc.status || '';
    box.dataset.field = doc.field || '';
    box.hidden = false;
  }
  function clearError() { $('error').hidden = true; }

  // ---------- palette ----------

  function paletteNames() {
    return state.info ? state.info.values.map((v) => v.name).filter((n) => state.included[n]) : [];
  }
  // The palette as the request object (exact doubles; JSON keeps them exact).
  function paletteObject() {
    const p = {};
    for (const n of paletteNames()) p[n] = state.target[n];
    return p;
  }
  // The palette as the CLI's SPEC, with 17 significant digits.
  function paletteSpec(p) {
    return Object.keys(p).map((n) => n + '=' + exact(p[n])).join(',');
  }

  // ---------- sliders ----------

  let rows = {};  // value name -> {row, range, number, check, marks, level}

  function pct(v, x) {
    const r = v.max - v.min;
    return r > 0 ? Math.min(1, Math.max(0, (x - v.min) / r)) : 0.5;
  }
  // Position on the track: the thumb's centre runs from 9 px to width − 9 px (an 18 px thumb).
  const trackLeft = (p) => 'calc(9px + ' + p + ' * (100% - 18px))';

  function buildSliders() {
    const host = $('sliders');
    host.textContent = '';
    rows = {};
    state.info.values.forEach((v, i) => {
      const row = document.createElement('div');
      row.className = 'vrow';
      row.dataset.name = v.name;
      const step = niceStep(v.max - v.min);
      const constant = !(v.max > v.min);
      const markList = MARKS.filter((k) => Number.isFinite(v[k]));
      row.innerHTML =
        '<div class="vhead">' +
        '<input type="checkbox" id="inc-' + i + '" checked>' +
        '<label for="inc-' + i + '" class="vname"></label>' +
        '<label for="n-' + i + '" class="sr-only"></label>' +
        '<input type="number" id="n-' + i + '" class="exact" step="any" inputmode="decimal">' +
        '</div>' +
        '<div class="track">' +
        '<label for="s-' + i + '" class="sr-only"></label>' +
        '<input type="range" id="s-' + i + '" list="dl-' + i + '" aria-describedby="m-' + i + '">' +
        '<datalist id="dl-' + i + '"></datalist>' +
        '<div class="marks" id="m-' + i + '"></div>' +
        '</div>' +
        '<div class="vfoot"><span class="vmin"></span><span class="vlevel"></span><span class="vmax"></span></div>';
      row.querySelector('.vname').textContent = v.name;
      row.querySelectorAll('.sr-only')[0].textContent = v.name + ' target, exact';
      row.querySelectorAll('.sr-only')[1].textContent = v.name + ' target';
      const range = row.querySelector('input[type=range]');
      const number = row.querySelector('input[type=number]');
      const check = row.querySelector('input[type=checkbox]');
      range.min = String(v.min);
      range.max = String(constant ? v.min + 1 : v.max);
      range.step = String(step);
      range.dataset.name = v.name;
      range.disabled = constant;
      number.dataset.name = v.name;
      const dl = row.querySelector('datalist');
      const marks = row.querySelector('.marks');
      for (const k of markList) {
        const o = document.createElement('option');
        o.value = String(v[k]);
        o.label = k;
        dl.appendChild(o);
        const t = document.createElement('span');
        t.className = 'tick ' + (k === 'mean' ? 'tick-mean' : 'tick-q');
        t.style.left = trackLeft(pct(v, v[k]));
        t.title = k + ' = ' + fmt(v[k]);
        const l = document.createElement('span');
        l.className = 'tick-label' + (k === 'mean' ? ' tick-mean' : '');
        l.textContent = k;
        l.dataset.mark = k;
        l.style.left = trackLeft(pct(v, v[k]));
        marks.appendChild(t);
        marks.appendChild(l);
      }
      marks.setAttribute('aria-label', markList.map((k) => k + ' ' + fmt(v[k])).join(', '));
      const level = document.createElement('span');
      level.className = 'level-mark';
      level.hidden = true;
      level.setAttribute('aria-hidden', 'true');
      marks.appendChild(level);
      row.querySelector('.vmin').textContent = 'min ' + fmt(v.min);
      row.querySelector('.vmax').textContent = 'max ' + fmt(v.max);

      range.addEventListener('input', () => {
        state.target[v.name] = parseFloat(range.value);
        syncRow(v.name, false);
        requestSolve(DEBOUNCE_MS);
      });
      number.addEventListener('change', () => {
        const x = parseFloat(number.value);
        if (!Number.isFinite(x)) { syncRow(v.name, true); return; }
        state.target[v.name] = x;
        syncRow(v.name, true);
        requestSolve(0);
      });
      check.addEventListener('change', () => {
        state.included[v.name] = check.checked;
        syncRow(v.name, true);
        requestSolve(0);
      });
      host.appendChild(row);
      rows[v.name] = {row, range, number, check, marks, level, v};
      syncRow(v.name, true);
    });
    layoutLabels();
  }

  // Shows the state of one value on its row; moveRange false while the user drags it.
  function syncRow(name, moveRange) {
    const r = rows[name];
    if (!r) return;
    const x = state.target[name];
    const inc = !!state.included[name];
    if (moveRange) r.range.value = String(x);
    r.number.value = String(Number(x.toPrecision(6)));
    r.check.checked = inc;
    r.range.disabled = !inc || !(r.v.max > r.v.min);
    r.number.disabled = !inc;
    r.row.classList.toggle('free', !inc);
    r.range.setAttribute('aria-valuetext', fmt(x) + (nearMark(r.v, x) || ''));
    r.range.dataset.target = exact(x);
  }

  function nearMark(v, x) {
    const tol = (v.max - v.min) / 400;
    for (const k of MARKS) if (Math.abs(v[k] - x) <= tol) return ' (' + k + ')';
    return '';
  }

  // Places the quantile labels in two rows, most important first, hiding those that find no room.
  function layoutLabels() {
    for (const name in rows) {
      const labels = Array.from(rows[name].marks.querySelectorAll('.tick-label'));
      labels.sort((a, b) => MARK_PRIORITY.indexOf(a.dataset.mark) - MARK_PRIORITY.indexOf(b.dataset.mark));
      const taken = [[], []];
      for (const l of labels) {
        l.hidden = false;
        l.dataset.row = '0';
        const w = l.offsetWidth + 4;
        const c = l.offsetLeft;  // the label is centred on its left by CSS
        const box = [c - w / 2, c + w / 2];
        let placed = false;
        for (let row = 0; row < 2 && !placed; row++) {
          if (taken[row].every(([a, b]) => box[1] <= a || box[0] >= b)) {
            taken[row].push(box);
            l.dataset.row = String(row);
            placed = true;
          }
        }
        if (!placed) l.hidden = true;
      }
    }
  }

  // ---------- solve ----------

  const solveCh = channel(async (body) => {
    let doc;
    try {
      doc = await api('/api/solve', body);
    } catch (e) {
      // the answer is an error: say so on the result too (the error box shows the problem)
      const res = $('result');
      res.dataset.status = 'error';
      res.dataset.palette = paletteSpec(body.palette);
      res.dataset.seq = String(++state.seq);
      $('summary').textContent = 'No answer for this palette: see the error above.';
      $('summary').className = 'summary status-error';
      setMini($('summary').textContent, 'error');
      throw e;
    }
    if (body.dataset !== state.dataset) return;
    clearError();
    state.solve = doc;
    state.solvePalette = body.palette;
    renderSolve(doc, body);
    if (doc.status !== 'optimal') {
      adjustCh.want(() => ({dataset: body.dataset, palette: body.palette, mode: 'ray'}));
    } else {
      adjustCh.cancel();
      state.adjust = null;
      $('infeasible').hidden = true;
    }
    requestHistogram(0);
    drawFrontier();
  }, $('result'), 'Solve');

  function requestSolve(delay) {
    if (!state.info) return;
    solveCh.want(() => {
      const palette = paletteObject();
      if (Object.keys(palette).length === 0) {
        renderEmpty();
        return null;
      }
      return {dataset: state.dataset, palette};
    }, delay);
  }

  const STATUS_TEXT = {
    optimal: 'Attainable',
    infeasible: 'Unattainable',
    boundary: 'On the boundary: attainable only in the limit λ → ∞',
    not_converged: 'Not converged',
    stalled: 'Stalled',
  };

  // The verdict in a bar pinned to the bottom of a phone's screen (CSS shows it on narrow
  // screens only; hidden from screen readers, which hear the live summary itself).
  function setMini(text, status) {
    const m = $('mini');
    m.textContent = text;
    m.className = 'mini status-' + status;
  }

  function renderEmpty() {
    state.solve = null;
    const res = $('result');
    res.dataset.status = 'empty';
    res.dataset.palette = '';
    res.dataset.seq = String(++state.seq);
    updateAddress();
    $('cli').textContent = '';
    $('summary').textContent = 'No value is in the palette: tick at least one.';
    setMini($('summary').textContent, 'empty');
    for (const id of ['kl', 'ess', 'maxw', 'iters']) $(id).textContent = '—';
    $('result-table').tBodies[0].textContent = '';
    $('infeasible').hidden = true;
    renderWarnings(null);
    drawFrontier();
  }

  // A word for a POSIX shell: as it is when plain, else in single quotes.
  const shellWord = (w) => (/^[A-Za-z0-9_.,=:\/+-]+$/.test(w) ? w : "'" + w.replace(/'/g, "'\\''") + "'");

  function renderCommand(body) {
    $('cli').textContent = ['mapsolve', 'solve', body.dataset, '--palette', paletteSpec(body.palette), '--json']
      .map(shellWord).join(' ');
  }

  function renderSolve(doc, body) {
    renderCommand(body);
    updateAddress();
    const res = $('result');
    const ok = doc.status === 'optimal';
    res.dataset.status = doc.status;
    res.dataset.palette = paletteSpec(body.palette);
    res.dataset.dataset = body.dataset;
    res.dataset.kl = exact(doc.kl);
    res.dataset.ess = exact(doc.ess);
    let summary = (STATUS_TEXT[doc.status] || doc.status);
    if (ok) summary += ': KL ' + fmt(doc.kl, 4) + ', ESS ' + fmt(doc.ess, 4) + ' of ' + doc.n + ' samples';
    else if (doc.certificate) summary += ': certificate gap ' + fmt(doc.certificate.gap, 4);
    $('summary').textContent = summary;
    $('summary').className = 'summary status-' + doc.status;
    setMini(summary, doc.status);
    $('kl').textContent = fmt(doc.kl);
    $('ess').textContent = doc.ess === null ? '—' : fmt(doc.ess) + ' / ' + doc.n;
    $('maxw').textContent = fmt(doc.max_weight);
    $('iters').textContent = fmt(doc.iterations);

    const byName = {};
    for (const v of doc.values) byName[v.name] = v;
    const tb = $('result-table').tBodies[0];
    tb.textContent = '';
    for (const v of state.info.values) {
      const p = byName[v.name];
      const tr = document.createElement('tr');
      tr.dataset.name = v.name;
      const level = doc.levels ? doc.levels[v.name] : null;
      const cells = [v.name, p ? fmt(p.target) : 'free', p ? fmt(p.lambda) : '—', fmt(level)];
      cells.forEach((c, j) => {
        const td = document.createElement(j === 0 ? 'th' : 'td');
        if (j === 0) td.scope = 'row';
        td.textContent = c;
        tr.appendChild(td);
      });
      if (p) {
        tr.dataset.lambda = exact(p.lambda);
        tr.dataset.target = exact(p.target);
        tr.children[2].className = 'lambda';
        tr.children[2].dataset.lambda = exact(p.lambda);
      } else {
        tr.className = 'free';
      }
      tr.dataset.level = exact(level);
      tb.appendChild(tr);
      // the realised level on the slider's track
      const r = rows[v.name];
      if (r) {
        r.level.hidden = !(typeof level === 'number');
        if (typeof level === 'number') r.level.style.left = trackLeft(pct(v, level));
        r.row.querySelector('.vlevel').textContent = typeof level === 'number' ? 'level ' + fmt(level) : '';
      }
    }
    $('fkl-current').disabled = !(ok && doc.kl > 0);
    renderWarnings(doc.warnings);
    if (!ok) renderCertificate(doc);
    res.dataset.seq = String(++state.seq);
  }

  // The solve's warnings (low_ess, heavy_weight): the levels rest on a few samples.
  function renderWarnings(list) {
    const ul = $('warnings');
    ul.textContent = '';
    for (const w of list || []) {
      const li = document.createElement('li');
      li.dataset.code = w.code;
      li.textContent = 'Warning: ' + w.detail;
      ul.appendChild(li);
    }
    ul.hidden = !(list && list.length);
  }

  function renderCertificate(doc) {
    $('infeasible').hidden = false;
    $('infeasible').querySelector('h3').textContent =
      doc.status === 'infeasible' ? 'Unattainable palette' : (STATUS_TEXT[doc.status] || doc.status);
    const cert = $('certificate');
    cert.textContent = '';
    if (doc.certificate) {
      const p = document.createElement('p');
      p.textContent = 'No reweighting of the samples reaches these targets. The certificate d below ' +
        'weighs the targets c so that dᵀc exceeds the largest dᵀr over all samples r by the gap.';
      cert.appendChild(p);
      const dl = document.createElement('dl');
      dl.className = 'cert';
      dl.id = 'cert-list';
      dl.dataset.gap = exact(doc.certificate.gap);
      const add = (k, val) => {
        const d = document.createElement('div');
        const dt = document.createElement('dt');
        const dd = document.createElement('dd');
        dt.textContent = k;
        dd.textContent = val;
        d.appendChild(dt);
        d.appendChild(dd);
        dl.appendChild(d);
        return d;
      };
      for (const [k, val] of Object.entries(doc.certificate.direction || {}))
        add('d ' + k, fmt(val)).dataset.direction = exact(val);
      add('gap', fmt(doc.certificate.gap)).className = 'gap';
      cert.appendChild(dl);
    } else {
      const p = document.createElement('p');
      p.textContent = doc.status === 'boundary'
        ? 'The palette lies on the boundary of the attainable set (margin ' + fmt(doc.margin) +
          '): λ would have to be infinite.'
        : 'The solver stopped without a verdict after ' + doc.iterations + ' iterations.';
      cert.appendChild(p);
    }
    $('adjust-summary').textContent = 'Computing the ray adjustment…';
    $('adjust-table').tBodies[0].textContent = '';
    $('apply-adjust').disabled = true;
  }

  // ---------- ray adjustment ----------

  const adjustCh = channel(async (body) => {
    const doc = await api('/api/adjust', body);
    if (body.dataset !== state.dataset || paletteSpec(body.palette) !== paletteSpec(state.solvePalette || {})) return;
    state.adjust = doc;
    const a = $('adjust');
    a.dataset.status = doc.status;
    a.dataset.rho = exact(doc.rho);
    const tb = $('adjust-table').tBodies[0];
    tb.textContent = '';
    const applied = {};
    for (const v of doc.values) {
      const tr = document.createElement('tr');
      tr.dataset.name = v.name;
      tr.dataset.adjusted = exact(v.target);
      applied[v.name] = v.target;
      for (const [j, c] of [v.name, fmt(v.requested), fmt(v.target)].entries()) {
        const td = document.createElement(j === 0 ? 'th' : 'td');
        if (j === 0) td.scope = 'row';
        td.textContent = c;
        tr.appendChild(td);
      }
      tb.appendChild(tr);
    }
    a.dataset.palette = paletteSpec(applied);
    $('adjust-summary').textContent = doc.status === 'optimal'
      ? 'Ray adjustment: the palette lowered toward the means to ρ = ' + fmt(doc.rho, 4) +
        ' of the way, stepped ' + fmt(doc.inset) + ' inside the boundary; there KL ' + fmt(doc.kl, 4) +
        ', ESS ' + fmt(doc.ess, 4) + '.'
      : 'The ray adjustment ended with status ' + doc.status + '.';
    $('apply-adjust').disabled = doc.status !== 'optimal';
  }, $('adjust'), 'Adjust');

  function applyAdjust() {
    const doc = state.adjust;
    if (!doc) return;
    for (const v of doc.values) {
      state.target[v.name] = v.target;
      state.included[v.name] = true;
      syncRow(v.name, true);
    }
    requestSolve(0);
    const first = rows[doc.values[0].name];
    if (first) first.range.focus();
  }

  // ---------- charts ----------

  function svgEl(name, attrs, parent) {
    const e = document.createElementNS(SVGNS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  function svgText(parent, x, y, s, attrs = {}) {
    const t = svgEl('text', Object.assign({x, y}, attrs), parent);
    t.textContent = s;
    return t;
  }
  // About n round tick positions covering [lo, hi].
  function ticks(lo, hi, n) {
    const span = hi - lo;
    if (!(span > 0)) return [lo];
    const raw = span / n;
    const p = Math.pow(10, Math.floor(Math.log10(raw)));
    const step = [1, 2, 5, 10].map((f) => f * p).find((s) => s >= raw) || 10 * p;
    const out = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return out;
  }

  // A chart frame: an SVG sized to its host, the plot area, scales and both axes.
  function frame(host, xd, yd, xlabel, ylabel, title) {
    host.textContent = '';
    const W = Math.max(280, Math.floor(host.clientWidth || 600));
    const H = Math.round(Math.min(380, Math.max(230, W * 0.58)));
    const narrow = W < 480;
    const m = {l: narrow ? 46 : 58, r: 14, t: narrow ? 40 : 28, b: 42};
    const svg = svgEl('svg', {width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img'}, host);
    svgEl('title', {}, svg).textContent = title;
    const pw = W - m.l - m.r, ph = H - m.t - m.b;
    const sx = (x) => m.l + (x - xd[0]) / (xd[1] - xd[0]) * pw;
    const sy = (y) => m.t + ph - (y - yd[0]) / (yd[1] - yd[0]) * ph;
    const g = svgEl('g', {class: 'axes'}, svg);
    svgEl('rect', {x: m.l, y: m.t, width: pw, height: ph, class: 'plot-bg'}, g);
    for (const t of ticks(xd[0], xd[1], narrow ? 4 : 7)) {
      svgEl('line', {x1: sx(t), x2: sx(t), y1: m.t, y2: m.t + ph, class: 'grid'}, g);
      svgText(g, sx(t), m.t + ph + 14, fmt(t, 3), {class: 'tick-text', 'text-anchor': 'middle'});
    }
    for (const t of ticks(yd[0], yd[1], 5)) {
      svgEl('line', {x1: m.l, x2: m.l + pw, y1: sy(t), y2: sy(t), class: 'grid'}, g);
      svgText(g, m.l - 5, sy(t) + 4, fmt(t, 3), {class: 'tick-text', 'text-anchor': 'end'});
    }
    svgEl('rect', {x: m.l, y: m.t, width: pw, height: ph, class: 'plot-frame'}, g);
    svgText(g, m.l + pw / 2, H - 6, xlabel, {class: 'axis-label', 'text-anchor': 'middle'});
    svgText(g, 12, m.t + ph / 2, ylabel,
      {class: 'axis-label', 'text-anchor': 'middle', transform: 'rotate(-90 12 ' + (m.t + ph / 2) + ')'});
    svg.setAttribute('aria-label', title);
    return {svg, sx, sy, m, W, H, pw, ph};
  }

  // A legend along the top margin, wrapping onto a second line when the chart is narrow.
  function legend(c, items) {
    const g = svgEl('g', {class: 'legend'}, c.svg);
    const x = c.m.l, right = c.W - c.m.r;
    let cx = x, y = 15;
    for (const [cls, label, shape] of items) {
      if (cx > x && cx + 20 + label.length * 6.5 > right) {
        cx = x;
        y += 15;
      }
      if (shape === 'line') svgEl('line', {x1: cx, x2: cx + 16, y1: y - 4, y2: y - 4, class: cls}, g);
      else if (shape === 'rect') svgEl('rect', {x: cx, y: y - 10, width: 12, height: 10, class: cls}, g);
      else svgEl('circle', {cx: cx + 6, cy: y - 4, r: 5, class: cls}, g);
      const t = svgText(g, cx + 20, y, label, {class: 'legend-text'});
      let w = label.length * 6.5;
      try { w = t.getComputedTextLength(); } catch (e) { /* not laid out: keep the estimate */ }
      cx += 32 + w;
    }
    return g;
  }

  function pad([lo, hi], f = 0.06) {
    if (!(hi > lo)) return [lo - 1, hi + 1];
    const d = (hi - lo) * f;
    return [lo - d, hi + d];
  }

  // ---------- frontier ----------

  const frontierCh = channel(async (body) => {
    const rows_ = await api('/api/frontier', body);
    if (body.dataset !== state.dataset) return;
    state.frontier = {body, rows: rows_};
    drawFrontier();
  }, $('frontier-chart'), 'Frontier');

  function requestFrontier(delay) {
    if (!state.info) return;
    frontierCh.want(() => {
      const a = $('fx').value, b = $('fy').value;
      const kl = parseBudgets($('fkl').value);
      const points = parseInt($('fpoints').value, 10);
      if (a === b) {
        state.frontier = null;
        $('frontier-chart').textContent = '';
        $('frontier-caption').textContent = 'Choose two different values.';
        return null;
      }
      if (!kl) {
        $('frontier-caption').textContent = 'The KL budget must be a positive number, or up to ' +
          MAX_BUDGETS + ' of them separated by commas.';
        return null;
      }
      return {dataset: state.dataset, values: [a, b], kl,
        points: Number.isFinite(points) ? points : 21};
    }, delay);
  }

  const MAX_BUDGETS = 4;
  // "0.5" or "0.5, 1, 2" -> [0.5, 1, 2]; null unless 1 to MAX_BUDGETS positive numbers.
  function parseBudgets(text) {
    const parts = text.split(/[\s,;]+/).filter((t) => t !== '');
    const kl = parts.map(Number);
    if (kl.length === 0 || kl.length > MAX_BUDGETS || !kl.every((k) => Number.isFinite(k) && k > 0)) return null;
    return kl;
  }

  function drawFrontier() {
    const host = $('frontier-chart');
    const f = state.frontier;
    if (!f || !state.info) return;
    const [a, b] = f.body.values;
    const va = state.info.values.find((v) => v.name === a);
    const vb = state.info.values.find((v) => v.name === b);
    if (!va || !vb) return;
    // one curve per budget, in the order asked
    const curves = f.body.kl.map((k) => ({budget: k, pts: []}));
    for (const r of f.rows) {
      const x = r['level_' + a], y = r['level_' + b];
      const curve = curves.find((cv) => cv.budget === r.budget) || curves[0];
      if (Number.isFinite(x) && Number.isFinite(y)) curve.pts.push([x, y]);
    }
    const pts = [].concat(...curves.map((cv) => cv.pts));
    const ref = [va.mean, vb.mean];
    const s = state.solve;
    let cur = null, req = null;
    if (s && s.levels && typeof s.levels[a] === 'number') cur = [s.levels[a], s.levels[b]];
    if (s && s.status !== 'optimal' && state.solvePalette) {
      const pa = state.solvePalette[a], pb = state.solvePalette[b];
      if (pa !== undefined || pb !== undefined)
        req = [pa !== undefined ? pa : va.mean, pb !== undefined ? pb : vb.mean];
    }
    const all = pts.concat([ref], cur ? [cur] : [], req ? [req] : []);
    const xd = pad([Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))]);
    const yd = pad([Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))]);
    const budgets = f.body.kl.map((k) => fmt(k)).join(', ');
    const title = 'Frontier of ' + a + ' and ' + b + ' at KL ≤ ' + budgets;
    const c = frame(host, xd, yd, 'level of ' + a, 'level of ' + b, title);
    const g = svgEl('g', {class: 'series'}, c.svg);
    curves.forEach((cv, i) => {
      if (!cv.pts.length) return;
      const cls = 'frontier-line curve-' + i;
      svgEl('polyline', {points: cv.pts.map((p) => c.sx(p[0]) + ',' + c.sy(p[1])).join(' '), class: cls}, g);
      for (const p of cv.pts)
        svgEl('circle', {cx: c.sx(p[0]), cy: c.sy(p[1]), r: 2.5, class: 'frontier-pt curve-' + i}, g);
    });
    svgEl('circle', {cx: c.sx(ref[0]), cy: c.sy(ref[1]), r: 6, class: 'ref-pt'}, g);
    if (req) {
      const x = c.sx(req[0]), y = c.sy(req[1]);
      svgEl('path', {d: 'M' + (x - 6) + ',' + (y - 6) + 'L' + (x + 6) + ',' + (y + 6) + 'M' + (x - 6) + ',' + (y + 6) +
        'L' + (x + 6) + ',' + (y - 6), class: 'req-pt'}, g);
    }
    if (cur) svgEl('circle', {cx: c.sx(cur[0]), cy: c.sy(cur[1]), r: 6, class: 'cur-pt'}, g);
    const items = curves.map((cv, i) => ['frontier-line curve-' + i, 'KL ≤ ' + fmt(cv.budget), 'line']);
    items.push(['ref-pt', 'reference']);
    if (cur) items.push(['cur-pt', 'current']);
    if (req) items.push(['req-pt-legend', 'requested (unattainable)']);
    legend(c, items);
    host.dataset.points = String(pts.length);
    const curKl = s && typeof s.kl === 'number' ? s.kl : null;
    $('frontier-caption').textContent = 'The most of ' + a + ' and ' + b + ' reachable within KL ' + budgets +
      ' of the reference (' + pts.length + ' frontier points); the current palette' +
      (cur ? ' reaches (' + fmt(cur[0], 4) + ', ' + fmt(cur[1], 4) + ') at KL ' + fmt(curKl, 4) + '.'
        : ' is not attained.');
  }

  // ---------- histogram ----------

  const histogramCh = channel(async (body) => {
    const doc = await api('/api/histogram', body);
    if (body.dataset !== state.dataset) return;
    state.histogram = doc;
    drawHistogram();
  }, $('histogram-chart'), 'Histogram');

  function requestHistogram(delay) {
    if (!state.info) return;
    histogramCh.want(() => {
      const palette = state.solvePalette;
      if (!palette || Object.keys(palette).length === 0) return null;
      const bins = parseInt($('hbins').value, 10);
      return {dataset: state.dataset, palette, value: $('hvalue').value,
        bins: Number.isFinite(bins) ? bins : 40};
    }, delay);
  }

  function drawHistogram() {
    const host = $('histogram-chart');
    const h = state.histogram;
    if (!h || !state.info) return;
    const e = h.edges;
    const ref = h.reference || [];
    const til = h.tilted;
    const ymax = Math.max(1e-12, ...ref, ...(til || []));
    const title = 'Rewards of ' + h.value + ' before and after tilting';
    const c = frame(host, [e[0], e[e.length - 1]], [0, ymax * 1.08], h.value, 'fraction of samples', title);
    const g = svgEl('g', {class: 'series'}, c.svg);
    const bars = (ys, cls) => {
      ys.forEach((y, i) => {
        const x0 = c.sx(e[i]), x1 = c.sx(e[i + 1]);
        svgEl('rect', {x: x0 + 0.5, y: c.sy(y), width: Math.max(0.5, x1 - x0 - 1), height: c.sy(0) - c.sy(y),
          class: cls}, g);
      });
    };
    bars(ref, 'bar-ref');
    if (til) bars(til, 'bar-tilt');
    const info = state.info.values.find((v) => v.name === h.value);
    const vline = (x, cls) => svgEl('line', {x1: c.sx(x), x2: c.sx(x), y1: c.m.t, y2: c.m.t + c.ph, class: cls}, g);
    if (info) vline(info.mean, 'mean-line');
    const s = state.solve;
    const lvl = s && s.levels ? s.levels[h.value] : null;
    if (typeof lvl === 'number') vline(lvl, 'level-line');
    const items = [['bar-ref', 'reference', 'rect']];
    if (til) items.push(['bar-tilt', 'tilted', 'rect']);
    items.push(['mean-line', 'mean', 'line']);
    if (typeof lvl === 'number') items.push(['level-line', 'tilted mean', 'line']);
    legend(c, items);
    host.dataset.value = h.value;
    host.dataset.status = h.status;
    $('histogram-caption').textContent = 'Distribution of ' + h.value + ' over the samples (' + h.bins +
      ' bins), weighted uniformly (reference) and by the tilted weights of the current palette' +
      (til ? '; mean ' + fmt(info ? info.mean : null, 4) + ' → ' + fmt(lvl, 4) + '.'
        : ' — none, as the palette is not attained.');
  }

  // ---------- datasets ----------

  function updateBusy() {
    const busy = !solveCh.idle;
    $('busy').hidden = !busy;
    $('result').setAttribute('aria-busy', busy ? 'true' : 'false');
  }

  function fillSelect(sel, names, chosen) {
    sel.textContent = '';
    for (const n of names) {
      const o = document.createElement('option');
      o.value = n;
      o.textContent = n;
      sel.appendChild(o);
    }
    if (chosen !== undefined) sel.value = chosen;
  }

  // The palette in the address (?palette=a=1.5,b=-0.2), applied once at start: the values it
  // names get its targets, the others are left free. Unknown names and bad numbers are ignored.
  function paletteFromAddress(info) {
    const spec = new URL(window.location.href).searchParams.get('palette');
    if (spec === null) return;
    const known = new Set(info.values.map((v) => v.name));
    for (const n of known) state.included[n] = false;
    for (const item of spec.split(',')) {
      const eq = item.lastIndexOf('=');
      const n = item.slice(0, eq), x = Number(item.slice(eq + 1));
      if (eq > 0 && known.has(n) && item.slice(eq + 1).trim() !== '' && Number.isFinite(x)) {
        state.target[n] = x;
        state.included[n] = true;
      }
    }
  }

  // Keeps the address in step with the page (dataset and palette), so it can be bookmarked.
  function updateAddress() {
    const u = new URL(window.location.href);
    u.searchParams.set('dataset', state.dataset);
    u.searchParams.set('palette', paletteNames().map((n) => n + '=' + String(state.target[n])).join(','));
    window.history.replaceState(null, '', u);
  }

  async function loadDataset(name, fromAddress = false) {
    let info;
    try {
      info = await api('/api/datasets/' + encodeURIComponent(name));
    } catch (e) {
      showError(e, 'Dataset');
      if (state.dataset !== null) $('dataset').value = state.dataset;  // still the one shown
      return;
    }
    clearError();
    solveCh.cancel();
    adjustCh.cancel();
    frontierCh.cancel();
    histogramCh.cancel();
    state.dataset = name;
    state.info = info;
    state.target = {};
    state.included = {};
    state.solve = state.solvePalette = state.adjust = state.frontier = state.histogram = null;
    for (const v of info.values) {
      state.target[v.name] = v.mean;
      state.included[v.name] = true;
    }
    $('dataset-info').textContent = info.n + ' samples × ' + info.values.length + ' values';
    $('frontier-chart').textContent = '';
    $('histogram-chart').textContent = '';
    const names = info.values.map((v) => v.name);
    fillSelect($('fx'), names, names[0]);
    fillSelect($('fy'), names, names[Math.min(1, names.length - 1)]);
    fillSelect($('hvalue'), names, names[0]);
    if (fromAddress) paletteFromAddress(info);
    buildSliders();
    updateAddress();
    requestSolve(0);
    requestFrontier(0);
  }

  // Lays out what depends on the width; records the width drawn for (the browser test's) waiting.
  function redrawAll() {
    layoutLabels();
    drawFrontier();
    drawHistogram();
    document.documentElement.dataset.drawnWidth = String(window.innerWidth);
  }

  async function init() {
    $('error-close').addEventListener('click', clearError);
    $('reset').addEventListener('click', () => {
      if (!state.info) return;
      for (const v of state.info.values) {
        state.target[v.name] = v.mean;
        state.included[v.name] = true;
        syncRow(v.name, true);
      }
      requestSolve(0);
    });
    $('apply-adjust').addEventListener('click', applyAdjust);
    $('copy-cli').addEventListener('click', async () => {
      const text = $('cli').textContent;
      try {
        await navigator.clipboard.writeText(text);
        $('copy-cli').textContent = 'Copied';
      } catch (e) {
        // no clipboard (an insecure origin): select the text for a manual copy
        const range = document.createRange();
        range.selectNodeContents($('cli'));
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        $('copy-cli').textContent = 'Selected: copy it';
      }
      setTimeout(() => { $('copy-cli').textContent = 'Copy'; }, 1500);
    });
    $('token-form').addEventListener('submit', (e) => {
      e.preventDefault();
      sessionStorage.setItem('mapsolve-token', $('token').value.trim());
      $('token').value = '';
      $('token-form').hidden = true;
      clearError();
      loadDatasets();
    });
    $('fkl-current').addEventListener('click', () => {
      const s = state.solve;
      if (!s || !(s.kl > 0)) return;
      const kl = (parseBudgets($('fkl').value) || []).slice(-(MAX_BUDGETS - 1));
      kl.push(Number(s.kl.toPrecision(6)));
      $('fkl').value = kl.join(', ');
      requestFrontier(0);
    });
    $('dataset').addEventListener('change', () => loadDataset($('dataset').value));
    for (const id of ['fx', 'fy']) $(id).addEventListener('change', () => requestFrontier(0));
    for (const id of ['fkl', 'fpoints']) $(id).addEventListener('input', () => requestFrontier(400));
    $('hvalue').addEventListener('change', () => requestHistogram(0));
    $('hbins').addEventListener('input', () => requestHistogram(400));
    for (const id of ['frontier-form', 'histogram-form']) $(id).addEventListener('submit', (e) => e.preventDefault());
    let resizeTimer = null;
    window.addEventListener('resize', () => {
      clearTimeout(resizeTimer);
      resizeTimer = setTimeout(redrawAll, 150);
    });
    await loadDatasets();
  }

  async function loadDatasets() {
    let list;
    try {
      list = await api('/api/datasets');
    } catch (e) {
      showError(e, 'Datasets');
      return;
    }
    const names = list.map((d) => d.name);
    if (names.length === 0) {
      $('summary').textContent = 'The store holds no dataset: ingest one with `mapsolve ingest`.';
      return;
    }
    const want = new URL(window.location.href).searchParams.get('dataset');
    const first = names.includes(want) ? want : names[0];
    fillSelect($('dataset'), names, first);
    await loadDataset(first, first === want);
    document.documentElement.dataset.drawnWidth = String(window.innerWidth);
  }

  document.addEventListener('DOMContentLoaded', init);
})();
