#!/usr/bin/env python
"""Same-run A/B of the fused SS2D scan as committed against session 10's kernels module (commit 0788a33's generated
`medsegmamba/kernels.py`, loaded from a file as `medsegmamba.kernels_s10`): forward+backward at bench_ss2d.py's
shapes, in alternation, five rounds, with parity (y and the gradients of sum(y * w), `bench_triton_variants.outputs`).

    git show 0788a33:medsegmamba/kernels.py > .cache/kernels_s10.py
    python benchmarks/session11/ab_s10.py --old .cache/kernels_s10.py --shapes vmunet:1 [--rounds 5] [--out f.csv]
    (--rounds 0: compile only)
"""
from __future__ import annotations
import argparse, csv, importlib.util, io, os, statistics, sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from bench_ss2d import cuda_time, dt_rank, model_layout, runner, shapes, ss2d_inputs  # noqa: E402
from bench_triton_variants import outputs, rel  # noqa: E402
from medsegmamba import kernels  # noqa: E402
from medsegmamba.core import atomic_write_text  # noqa: E402


def load_old(path:str):
    spec = importlib.util.spec_from_file_location("medsegmamba.kernels_s10", path)
    mod = importlib.util.module_from_spec(spec); sys.modules[spec.name] = mod; spec.loader.exec_module(mod)
    return mod


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--old", required=True, help="session 10's kernels.py")
    p.add_argument("--shapes", nargs="+", default=["vmunet:1"], metavar="MODEL:STAGE")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--reps", type=int, default=10)
    p.add_argument("--out", default=None)
    a = p.parse_args(argv)
    if not os.path.isfile(a.old): sys.exit(f"ab_s10.py: --old {a.old}: no such file (see the docstring)")
    old = load_old(a.old)
    rows = []
    for sh in a.shapes:
        m, s = sh.split(":")
        r = next(x for x in shapes(8, 8, 32) if x[0] == m and x[1] == int(s) and x[2] == 4)
        _, _, _, Bsz, Dm, H, W = r
        x = model_layout(ss2d_inputs(Bsz, Dm, H, W, torch.float32, torch.device("cuda")), dt_rank(Dm))
        fns = {"session11": kernels.ss2d_scan_triton, "session10": old.ss2d_scan_triton}
        gos = {k: runner(f, x, True) for k, f in fns.items()}
        err = max(rel(u, v) for u, v in zip(outputs(x, fns["session11"]), outputs(x, fns["session10"])))
        if a.rounds == 0: print(f"{sh}: compiled", flush=True); continue     # --rounds 0: compile only
        ts = {k: [] for k in gos}
        for i in range(a.rounds):
            for k, go in gos.items(): ts[k].append(cuda_time(go, 2 if i == 0 else 1, a.reps))
        for k in gos:
            rows.append(dict(model=m, stage=s, code=k, mode="fwd+bwd", ms=round(statistics.median(ts[k]), 4),
                             rounds=a.rounds, max_rel_grads=f"{err:.2e}"))
            print(rows[-1], flush=True)
    if a.out and rows:
        buf = io.StringIO(); w = csv.DictWriter(buf, fieldnames=list(rows[0])); w.writeheader(); w.writerows(rows)
        atomic_write_text(buf.getvalue(), a.out)


if __name__ == "__main__":
    main()
