#!/usr/bin/env python
"""Cold-cache compile time and parity of the fused SS2D at the GPU test shape of tests/test_kernels.py (4x8x16x64x64).

The tuple-unrolled kernels compile in 10-40 s each, so tests/test_kernels.py takes minutes on a fresh machine
(benchmarks/results/kernels_pytest_h100_s3.log). Prints seconds for the first forward and forward+backward (compile
included), the float64 torch reference, and the relative gradient errors. Run from the repository root:

    python benchmarks/kernel_compile_probe.py
"""
import sys, time, torch
sys.path.insert(0, "tests")
import faulthandler; faulthandler.dump_traceback_later(100, exit=True)
from test_kernels import _ss2d_inputs, _grads
from medsegmamba import kernels, ops
args = _ss2d_inputs(4, 8, 16, 64, 64)
t = time.time(); y = kernels.ss2d_scan_triton(**args); torch.cuda.synchronize(); print("fwd", time.time() - t, flush=True)
t = time.time(); y, g = _grads(kernels.ss2d_scan_triton, args); torch.cuda.synchronize(); print("fwd+bwd", time.time() - t, flush=True)
ref_args = {k: (v.detach().double().requires_grad_(True) if torch.is_tensor(v) else v) for k, v in args.items()}
t = time.time(); ref, gr = _grads(ops.SS2D_SCAN_BACKENDS.get("torch"), ref_args); torch.cuda.synchronize(); print("ref torch f64", time.time() - t, flush=True)
print({n: float((g[n].double() - gr[n]).abs().max() / gr[n].abs().max()) for n in g})
