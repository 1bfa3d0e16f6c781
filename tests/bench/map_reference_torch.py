#!/usr/bin/env python3
"""map_reference_torch.py — the MAP reference procedure as the published code
runs it (MATH.md §11), for the benchmark's comparison lines: PyTorch, float32,
lambda = exp(tau) with tau = log lambda optimised by Adam (learning rate 0.1,
PyTorch's default betas and eps) for a fixed 150 steps from tau = 0, the dual
loss log(mean(exp(R lambda))) - lambda . c written without log-sum-exp, and a
palette called infeasible as soon as NaN or Inf appears.

    map_reference_torch.py DATA.csv PALETTES.csv [LIMIT]
        DATA a numeric CSV with a header (`mapsolve export` of a values-only
        dataset); PALETTES a CSV with one column per value (the `sweep
        --palettes` format). Solves the first LIMIT palettes (default all).
    map_reference_torch.py raw FILE N M NAME=TARGET,...
        one palette over the columns v1..vM of an N x M float32 matrix stored
        row-major in FILE (bench_map_adam dump writes it).

Runs on one thread (torch.set_num_threads(1)), as the sweep it is compared
with does. Prints "SECONDS_PER_PALETTE PALETTES INFEASIBLE CPU_SECONDS_PER_PALETTE"
on stdout: wall and CPU time of the Adam steps alone (loading not timed).
Exit 0; 1 when torch is missing or the input is unusable; 2 on misuse.
"""
import csv
import sys
import time

try:
    import numpy as np
    import torch
except ImportError as e:  # the benchmark skips the line then
    print(f"map_reference_torch.py: {e}", file=sys.stderr)
    sys.exit(1)

STEPS = 150
LR = 0.1


def solve(R, c):
    """The reference procedure for one palette; returns (lambda, infeasible)."""
    tau = torch.zeros(R.shape[1], dtype=torch.float32, requires_grad=True)
    opt = torch.optim.Adam([tau], lr=LR)
    for _ in range(STEPS):
        opt.zero_grad()
        lam = torch.exp(tau)
        loss = torch.log(torch.mean(torch.exp(R @ lam))) - lam @ c
        if not torch.isfinite(loss):
            return lam.detach(), True
        loss.backward()
        if not torch.all(torch.isfinite(tau.grad)):
            return lam.detach(), True
        opt.step()
    return torch.exp(tau).detach(), False


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        raise ValueError(f"{path}: no data rows")
    return rows[0], rows[1:]


def run(R_by_name, palettes):
    """Solves each palette (a dict name -> target); prints the figures."""
    infeasible = 0
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for pal in palettes:
        names = list(pal)
        R = torch.stack([R_by_name[v] for v in names], dim=1)
        c = torch.tensor([pal[v] for v in names], dtype=torch.float32)
        _, inf = solve(R, c)
        infeasible += inf
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    n = len(palettes)
    print(f"{wall / n:.9g} {n} {infeasible} {cpu / n:.9g}")
    return 0


def main(argv):
    torch.set_num_threads(1)
    if len(argv) in (3, 4) and argv[1] != "raw":
        head, rows = read_csv(argv[1])
        data = np.asarray(rows, dtype=np.float32)
        R_by_name = {v: torch.from_numpy(np.ascontiguousarray(data[:, i])) for i, v in enumerate(head)}
        phead, prows = read_csv(argv[2])
        limit = int(argv[3]) if len(argv) == 4 else len(prows)
        for v in phead:
            if v not in R_by_name:
                print(f"map_reference_torch.py: {argv[2]}: value '{v}' is not in {argv[1]}", file=sys.stderr)
                return 1
        palettes = [{v: float(x) for v, x in zip(phead, r)} for r in prows[:limit]]
        return run(R_by_name, palettes)
    if len(argv) == 6 and argv[1] == "raw":
        n, m = int(argv[3]), int(argv[4])
        data = np.fromfile(argv[2], dtype=np.float32, count=n * m).reshape(n, m)
        R_by_name = {f"v{i + 1}": torch.from_numpy(np.ascontiguousarray(data[:, i])) for i in range(m)}
        pal = {}
        for item in argv[5].split(","):
            v, t = item.split("=")
            pal[v] = float(t)
        return run(R_by_name, [pal])
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
