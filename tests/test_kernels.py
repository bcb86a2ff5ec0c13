"""Triton kernels (medsegmamba.kernels) against ops' `ref` backends: on CPU under TRITON_INTERPRET=1 (tiny sizes),
on CUDA at real sizes (and against mamba-ssm when it is installed)."""
import os

import pytest
import torch

# Triton reads TRITON_INTERPRET when the kernels are decorated, i.e. when medsegmamba.kernels is first imported.
if not torch.cuda.is_available(): os.environ.setdefault("TRITON_INTERPRET", "1")

triton = pytest.importorskip("triton", reason="triton is not installed: the Triton kernel tests need it")
from medsegmamba import kernels, layers, ops  # noqa: E402

CUDA = torch.cuda.is_available()
if not CUDA and not kernels._interpreting():
    pytest.skip("no CUDA and medsegmamba.kernels was imported before TRITON_INTERPRET=1 was set; "
                "run this file on its own: pytest tests/test_kernels.py", allow_module_level=True)
DEV = "cuda" if CUDA else "cpu"


def _inputs(seed=0, dtype=torch.float32, **shape):
    "ops.make_scan_inputs on DEV, detached leaves that require grad."
    a = ops.make_scan_inputs(dtype=dtype, device=DEV, seed=seed, requires_grad=False, **shape)
    return {k: (v.requires_grad_(True) if torch.is_tensor(v) else v) for k, v in a.items()}


def _grads(fn, args, seed=1):
    "Gradients of sum(out * w) w.r.t. every tensor argument (w fixed, drawn in float32)."
    out = fn(**args)
    out = out[0] if isinstance(out, tuple) else out
    w = torch.randn(out.shape, generator=torch.Generator().manual_seed(seed)).to(out)
    names = [k for k, v in args.items() if torch.is_tensor(v)]
    return out, dict(zip(names, torch.autograd.grad((out * w).sum(), [args[n] for n in names])))


def _close(a, b, tol):
    "Max abs error relative to b's scale."
    a, b = a.detach().double(), b.detach().double()
    err = float((a - b).abs().max() / b.abs().max().clamp_min(1e-12))
    assert err < tol, f"relative error {err:.2e} >= {tol:.0e}"


SCAN_SHAPES = ([dict(batch=2, dim=4, seqlen=21, d_state=4, groups=g) for g in (None, 2, 0)] if not CUDA else
               [dict(batch=2, dim=64, seqlen=L, d_state=16, groups=g) for L in (100, 1031) for g in (None, 2, 0)])


@pytest.mark.parametrize("shape", SCAN_SHAPES, ids=lambda s: f"L{s['seqlen']}-g{s['groups']}")
def test_selective_scan_matches_ref(shape):
    args = _inputs(dtype=torch.float32, **shape)
    ref_args = {k: (v.detach().double().requires_grad_(True) if torch.is_tensor(v) else v) for k, v in args.items()}
    kw = dict(block_d=2, chunk=8) if not CUDA else {}
    out, g = _grads(lambda **a: kernels.selective_scan_triton(**a, **kw), args)
    ref, gr = _grads(ops.SCAN_BACKENDS.get("ref"), ref_args)
    _close(out, ref, 1e-4)
    for n in g: _close(g[n], gr[n], 1e-3 if CUDA else 1e-4)


def test_last_state_and_bf16():
    shape = SCAN_SHAPES[1]
    args = _inputs(**shape)
    out, last = kernels.selective_scan_triton(**args, return_last_state=True)
    ref, ref_last = ops.SCAN_BACKENDS.get("ref")(**args, return_last_state=True)
    _close(out, ref, 1e-4); _close(last, ref_last, 1e-4)
    b16 = {k: (v.detach().to(torch.bfloat16) if torch.is_tensor(v) and k in ("u", "delta", "B", "C", "z") else v)
           for k, v in args.items()}
    out16 = kernels.selective_scan_triton(**b16)
    assert out16.dtype == torch.bfloat16
    ref16 = ops.SCAN_BACKENDS.get("ref")(**{k: (v.float() if torch.is_tensor(v) else v) for k, v in b16.items()})
    _close(out16.float(), ref16, 2e-2)


def _ss2d_inputs(Bsz, Dm, N, H, W, dtype=torch.float32, seed=0):
    "SS2D arguments with u a (B, D, L) view of an NHWC map (as SS2D produces it)."
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g)
    L = H * W
    a = dict(u=r(Bsz, H, W, Dm).view(Bsz, L, Dm).transpose(1, 2), delta=0.5 * r(Bsz, 4, Dm, L) - 1,
             A=-torch.exp(r(4 * Dm, N).clamp(-1, 1)), B=r(Bsz, 4, N, L), C=r(Bsz, 4, N, L), D=r(4 * Dm),
             delta_bias=0.1 * r(4 * Dm))
    a = {k: v.to(device=DEV, dtype=dtype if k in ("u", "delta", "B", "C") else torch.float32).requires_grad_(True)
         for k, v in a.items()}
    return {**a, "H": H, "W": W}


# CPU: a tiny 2-channel tile; and one 32-channel tile with N = 16, the backward's full 5-round transpose-reduce of dB, dC
SS2D_SHAPES = [(2, 4, 4, 3, 5), (1, 32, 16, 2, 3)] if not CUDA else [(2, 32, 16, 13, 17), (4, 8, 16, 64, 64)]


@pytest.mark.parametrize("shape", SS2D_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_ss2d_matches_ref(shape):
    args = _ss2d_inputs(*shape)
    ref_args = {k: (v.detach().double().requires_grad_(True) if torch.is_tensor(v) else v) for k, v in args.items()}
    kw = dict(block_d=2, chunk=8) if not CUDA and shape[1] == 4 else {}
    y, g = _grads(lambda **a: kernels.ss2d_scan_triton(**a, **kw), args)
    ref_fn = ops.SS2D_SCAN_BACKENDS.get("ref" if not CUDA or shape[3] * shape[4] < 2000 else "torch")
    ref, gr = _grads(ref_fn, ref_args)
    _close(y, ref, 1e-4)
    for n in g: _close(g[n], gr[n], 1e-3 if CUDA else 1e-4)


def test_ss2d_column_segments(monkeypatch):
    """Where a program holds several segments (few channels), the SS2D plan cuts L into one column each (`_plan(col=H)`),
    so that in the column directions a program's segments read neighbouring positions; the states and adjoints entering
    the segments come from `_carry_kernel` (in place of pass 1's end states, some segments past L). Outputs and
    gradients against the `ref` (CPU) / `torch` (CUDA) backend, and as with `MEDSEGMAMBA_TRITON_COLSEG=0` (that run also
    takes the other dB, dC path, `MEDSEGMAMBA_TRITON_BC_STORE=1`: rows stored by their only writer, not added, and the
    backward of sessions 5-10, `MEDSEGMAMBA_TRITON_BWD_PARTS=1`: the adjoints entering the segments from
    `_bwd_states_kernel`, both sweeps in one launch). The default backward again with its separate sweep 1 taking two
    steps a load group, as sweep 2 does (`MEDSEGMAMBA_TRITON_BWD1_CHUNK=2`; the default is one); a bad value of it is
    refused by name."""
    shape = (1, 8, 4, 128, 5) if not CUDA else (2, 8, 16, 128, 128)
    Bsz, Dm, N, H, W = shape
    plan = kernels._plan(Bsz, 4, Dm, H * W, Dm, torch.device(DEV), backward=True, col=H)
    assert plan[3] == H and plan[2] >= W and plan[0] > 1, plan
    args = _ss2d_inputs(*shape)
    y, g = _grads(kernels.ss2d_scan_triton, args)
    ref, gr = _grads(ops.SS2D_SCAN_BACKENDS.get("ref" if not CUDA else "torch"),
                     {k: (v.detach().double().requires_grad_(True) if torch.is_tensor(v) else v) for k, v in args.items()})
    _close(y, ref, 1e-4)
    for n in g: _close(g[n], gr[n], 1e-3 if CUDA else 1e-4)
    monkeypatch.setenv("MEDSEGMAMBA_TRITON_BWD1_CHUNK", "2")
    assert plan[4] == 2     # sweep 2's load group: 2 steps
    _, g1 = _grads(kernels.ss2d_scan_triton, args)
    for n in g: _close(g1[n], g[n], 1e-5)
    monkeypatch.setenv("MEDSEGMAMBA_TRITON_BWD1_CHUNK", "3")
    with pytest.raises(ValueError, match="MEDSEGMAMBA_TRITON_BWD1_CHUNK=3: expected a power of two, at most 2"):
        _grads(kernels.ss2d_scan_triton, args)
    monkeypatch.delenv("MEDSEGMAMBA_TRITON_BWD1_CHUNK")
    monkeypatch.setenv("MEDSEGMAMBA_TRITON_COLSEG", "0")
    monkeypatch.setenv("MEDSEGMAMBA_TRITON_BC_STORE", "1")
    monkeypatch.setenv("MEDSEGMAMBA_TRITON_BWD_PARTS", "1")
    assert kernels._plan(Bsz, 4, Dm, H * W, Dm, torch.device(DEV), backward=True, col=H)[3] > H
    y0, g0 = _grads(kernels.ss2d_scan_triton, args)
    _close(y0, y, 1e-5)
    for n in g: _close(g0[n], g[n], 1e-5)


@pytest.mark.parametrize("q", [2] if not CUDA else [2, 4])
def test_forward_split_n(monkeypatch, q):
    """`MEDSEGMAMBA_TRITON_SPLIT_N=q` (`kernels._split_n`): the forward with q lanes a channel, each holding N/q of its
    states. The fused SS2D with L cut into segments (pass 1, the carries, pass 2), whose segment states the backward
    (the same kernel for every q) reuses: output and gradients against the float64 `ref` backend (`torch` on CUDA);
    the grouped, gated plain scan, L cut too, with its last state: against `ref`. Both forwards again with two and
    with three load groups in flight (`MEDSEGMAMBA_TRITON_FWD_BUFS`; three may run steps past a segment's end, inert).
    A q that is not a power of two dividing N, and a bad FWD_BUFS, are refused by name."""
    shape = (1, 8, 4, 4, 5) if not CUDA else (2, 8, 16, 128, 128)
    args = _ss2d_inputs(*shape)
    pa = _inputs(**(dict(batch=2, dim=4, seqlen=21, d_state=4, groups=2) if not CUDA else
                    dict(batch=2, dim=64, seqlen=1031, d_state=16, groups=2)))
    pa["z"] = torch.randn(pa["u"].shape, generator=torch.Generator().manual_seed(3)).to(DEV)
    monkeypatch.setenv("MEDSEGMAMBA_TRITON_SPLIT_N", str(q))
    assert kernels._plan(shape[0], 4, shape[1], shape[3] * shape[4], shape[1], torch.device(DEV), sub_aligned=True,
                         col=shape[3])[2] > 1     # L is cut
    y, g = _grads(kernels.ss2d_scan_triton, args)
    ref, gr = _grads(ops.SS2D_SCAN_BACKENDS.get("ref" if not CUDA else "torch"),
                     {k: (v.detach().double().requires_grad_(True) if torch.is_tensor(v) else v) for k, v in args.items()})
    _close(y, ref, 1e-4)
    for n in g: _close(g[n], gr[n], 1e-3 if CUDA else 1e-4)
    with torch.no_grad(): out, last = kernels.selective_scan_triton(**pa, return_last_state=True, segments=4)
    ref, ref_last = ops.SCAN_BACKENDS.get("ref")(**{k: (v.detach().double() if torch.is_tensor(v) else v)
                                                    for k, v in pa.items()}, return_last_state=True)
    _close(out, ref, 1e-4); _close(last, ref_last, 1e-4)
    for nb in ("2", "3"):   # two or three load groups in flight (`kernels._fwd_bufs`): the same sums in the same order
        monkeypatch.setenv("MEDSEGMAMBA_TRITON_FWD_BUFS", nb)
        with torch.no_grad():
            y_nb = kernels.ss2d_scan_triton(**args)
            out_nb, last_nb = kernels.selective_scan_triton(**pa, return_last_state=True, segments=4)
        _close(y_nb, y, 1e-6); _close(out_nb, out, 1e-6); _close(last_nb, last, 1e-6)
    monkeypatch.setenv("MEDSEGMAMBA_TRITON_FWD_BUFS", "4")
    with pytest.raises(ValueError, match="MEDSEGMAMBA_TRITON_FWD_BUFS=4: expected 2 or 3"):
        kernels.ss2d_scan_triton(**args)
    monkeypatch.delenv("MEDSEGMAMBA_TRITON_FWD_BUFS")
    monkeypatch.setenv("MEDSEGMAMBA_TRITON_SPLIT_N", "3")
    with pytest.raises(ValueError, match="MEDSEGMAMBA_TRITON_SPLIT_N=3: expected a power of two that divides d_state"):
        kernels.ss2d_scan_triton(**args)


@pytest.mark.parametrize("q", [2] if not CUDA else [1, 2])
def test_forward_pipe(monkeypatch, q):
    """`MEDSEGMAMBA_TRITON_FWD_PIPE=S` (`kernels._fwd_pipe`): the forward's loop through Triton's pipeliner, B and C one
    16-byte copy a segment (`kernels._ld_row1`; the interpreter runs its tensor loads, without the pipelining). SS2D
    with B, C laid out as `layers.SS2D` does (a step's N values contiguous), L cut into segments, q lanes a channel:
    the same output as the load groups, also at 4 steps an iteration, and the backward (whose segment states the
    forward gave) the same gradients; on the CPU also the forward at one lane a channel. The plain scan keeps the load groups (`_pipe_on`: SS2D at 1-2 lanes a channel
    only), and gives the same output with the switch set. A bad value is refused by name, also where the loop would
    not be taken."""
    Bsz, Dm, N, H, W = (1, 8, 8, 4, 5) if not CUDA else (2, 8, 16, 128, 128)
    args = _ss2d_inputs(Bsz, Dm, N, H, W)
    for k in ("B", "C"):   # (B, 4, N, L) views of (B, 4, L, N) storage
        args[k] = args[k].detach().transpose(-1, -2).contiguous().transpose(-1, -2).requires_grad_(True)
    monkeypatch.setenv("MEDSEGMAMBA_TRITON_SPLIT_N", str(q))
    assert kernels._bcv(args["B"].unsqueeze(2), args["C"].unsqueeze(2), N // q) != 1   # 16-byte loads (4 values)
    assert kernels._plan(Bsz, 4, Dm, H * W, Dm, torch.device(DEV), sub_aligned=True, col=H)[2] > 1     # L is cut
    y, g = _grads(kernels.ss2d_scan_triton, args)
    pa = _inputs(**(dict(batch=2, dim=4, seqlen=21, d_state=8) if not CUDA else dict(batch=2, dim=64, seqlen=1031, d_state=16)))
    with torch.no_grad(): out = kernels.selective_scan_triton(**pa, segments=4)
    for env in (dict(FWD_PIPE="3"), dict(FWD_PIPE="2", FWD_CHUNK="4")):
        for k, v in env.items(): monkeypatch.setenv("MEDSEGMAMBA_TRITON_" + k, v)
        y1, g1 = _grads(kernels.ss2d_scan_triton, args)
        _close(y1, y, 1e-6)
        for n in g: _close(g1[n], g[n], 1e-5)
        with torch.no_grad(): _close(kernels.selective_scan_triton(**pa, segments=4), out, 1e-6)
        for k in env: monkeypatch.delenv("MEDSEGMAMBA_TRITON_" + k)
    assert kernels._pipe_on(True, 4, 4, q) == 0 and kernels._pipe_on(True, 1, 4, q) == 0
    monkeypatch.setenv("MEDSEGMAMBA_TRITON_FWD_PIPE", "3")
    on = [kernels._pipe_on(True, 4, 4, q), kernels._pipe_on(True, -8, 4, q), kernels._pipe_on(False, 4, 4, q),
          kernels._pipe_on(True, 1, 4, q)]
    assert on == [3, 3, 0, 0]
    assert [kernels._pipe_on(True, 4, 1, 4), kernels._pipe_on(True, 4, 1, 2), kernels._pipe_on(True, 4, 4, 4)] == [0, 0, 0]
    if not CUDA:    # one lane a channel (most SS2D shapes but the two first stages), the forward only (CUDA: q = 1 above)
        monkeypatch.setenv("MEDSEGMAMBA_TRITON_SPLIT_N", "1")
        assert kernels._pipe_on(True, kernels._bcv(args["B"].unsqueeze(2), args["C"].unsqueeze(2), N), 4, 1) == 3
        x = {k: (v.detach() if torch.is_tensor(v) else v) for k, v in args.items()}
        with torch.no_grad():
            y3 = kernels.ss2d_scan_triton(**x)
            monkeypatch.delenv("MEDSEGMAMBA_TRITON_FWD_PIPE")
            _close(y3, kernels.ss2d_scan_triton(**x), 1e-6)
    monkeypatch.setenv("MEDSEGMAMBA_TRITON_FWD_PIPE", "1")
    with pytest.raises(ValueError, match=r"MEDSEGMAMBA_TRITON_FWD_PIPE=1: expected 0 \(load groups\) or 2 to 5"):
        kernels.selective_scan_triton(**pa)


@pytest.mark.parametrize("q", [2] if not CUDA else [2, 4])
def test_backward_split_n(monkeypatch, q):
    """`MEDSEGMAMBA_TRITON_BWD_SPLIT_N=q` (`kernels._bwd_split_n`): the backward with q lanes a channel (the adjoint
    states kernel and both sweeps; each lane holds N/q of a channel's states; y, F, ddt and du summed over the q lanes,
    dB and dC summed over the channels by the transpose-reduce per slice of states). The fused SS2D with L cut into
    column segments, and the grouped, gated plain scan with D, delta_bias and softplus, L cut too: gradients of every
    input against the float64 `ref` backend (`torch` on CUDA for SS2D). A q that is not a power of two dividing N is
    refused by name."""
    shape = (1, 8, 4, 8, 5) if not CUDA else (2, 8, 16, 128, 128)
    args = _ss2d_inputs(*shape)
    pa = _inputs(**(dict(batch=2, dim=4, seqlen=21, d_state=4, groups=2) if not CUDA else
                    dict(batch=2, dim=64, seqlen=1031, d_state=16, groups=2)))
    monkeypatch.setenv("MEDSEGMAMBA_TRITON_BWD_SPLIT_N", str(q))
    assert kernels._plan(shape[0], 4, shape[1], shape[3] * shape[4], shape[1], torch.device(DEV), backward=True,
                         col=shape[3])[2] > 1     # L is cut
    dbl = lambda a: {k: (v.detach().double().requires_grad_(True) if torch.is_tensor(v) else v) for k, v in a.items()}
    y, g = _grads(kernels.ss2d_scan_triton, args)
    ref, gr = _grads(ops.SS2D_SCAN_BACKENDS.get("ref" if not CUDA else "torch"), dbl(args))
    _close(y, ref, 1e-4)
    for n in g: _close(g[n], gr[n], 1e-3 if CUDA else 1e-4)
    out, g = _grads(lambda **a: kernels.selective_scan_triton(**a, segments=4), pa)
    ref, gr = _grads(ops.SCAN_BACKENDS.get("ref"), dbl(pa))
    _close(out, ref, 1e-4)
    assert set(g) >= {"u", "delta", "A", "B", "C", "D", "z", "delta_bias"}
    for n in g: _close(g[n], gr[n], 1e-3 if CUDA else 1e-4)
    monkeypatch.setenv("MEDSEGMAMBA_TRITON_BWD_SPLIT_N", "3")
    with pytest.raises(ValueError, match="MEDSEGMAMBA_TRITON_BWD_SPLIT_N=3: expected a power of two that divides d_state"):
        _grads(kernels.ss2d_scan_triton, args)


def _bc_rows(B, C, shift=0):
    """B, C as detached leaves laid out as the layers hand them over (`layers.x_proj_rows`); `shift` moves them by that
    many elements in a copy of the storage (rows no longer 16-byte aligned)."""
    Bv, Cv = layers.x_proj_rows(B.detach(), C.detach(), 1)
    if shift:
        buf = torch.zeros(Bv.untyped_storage().nbytes() // Bv.element_size() + shift, dtype=Bv.dtype, device=Bv.device)
        buf[shift:] = Bv.as_strided((Bv.untyped_storage().nbytes() // Bv.element_size(),), (1,), 0)
        Bv, Cv = (buf.as_strided(x.shape, x.stride(), x.storage_offset() + shift) for x in (Bv, Cv))
    return Bv.detach().requires_grad_(True), Cv.detach().requires_grad_(True)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16], ids=["fp32", "bf16"])
def test_16_byte_loads_of_b_c(dtype):
    """B, C laid out as the layers hand them over are read 16 bytes at a time (`_bcv`: 4 fp32 / 8 bf16 values; the
    interpreter takes the same grouping by single loads): outputs as with one value per load (bf16: the asm's split of
    each 32-bit word); fp32 gradients against the float64 `ref` backend. No bf16 backward: in the interpreter it runs
    >= 128 steps a segment (~20 s a call), and on the H100 its four kernel variants (16-byte and single loads, SS2D
    and gated plain scan) took longer to compile than a 540 s device call (session 7, call 8). The backward kernels
    read B and C through the same `_ld_state_row` as the forward, whose bf16 split this test checks."""
    sign = -1 if kernels._interpreting() else 1
    shape = (1, 4, 8, 3, 5) if not CUDA else (2, 8, 16, 64, 64)
    args = _ss2d_inputs(*shape, dtype=dtype)
    Bv, Cv = _bc_rows(args["B"], args["C"])
    vec = sign * 16 // Bv.element_size()
    assert kernels._bcv(Bv.unsqueeze(2), Cv.unsqueeze(2), shape[2]) == vec
    assert kernels._bcv(args["B"].unsqueeze(2), args["C"].unsqueeze(2), shape[2]) == 1      # N not innermost
    Bm, Cm = _bc_rows(args["B"], args["C"], shift=1)
    assert kernels._bcv(Bm.unsqueeze(2), Cm.unsqueeze(2), shape[2]) == 1                    # rows not 16-byte aligned
    a = _inputs(dtype=dtype, **(dict(batch=2, dim=4, seqlen=21, d_state=8, groups=None) if not CUDA else
                                dict(batch=2, dim=64, seqlen=1031, d_state=16, groups=None)))
    Pb, Pc = _bc_rows(a["B"], a["C"])                       # the plain scan: Mamba's x_proj row [B C dt pad]
    assert kernels._bcv(Pb[:, None, None], Pc[:, None, None], Pb.shape[1]) == vec
    for fn, x, ref in ((kernels.ss2d_scan_triton, args, ops.SS2D_SCAN_BACKENDS.get("ref")),
                       (kernels.selective_scan_triton, a, ops.SCAN_BACKENDS.get("ref"))):
        xv = {**x, "B": Pb, "C": Pc} if fn is kernels.selective_scan_triton else {**x, "B": Bv, "C": Cv}
        with torch.no_grad(): _close(fn(**xv), fn(**x), 1e-6)
        if dtype is torch.float32:
            y, g = _grads(fn, xv)
            _, gr = _grads(ref, {k: (v.detach().double().requires_grad_(True) if torch.is_tensor(v) else v)
                                 for k, v in x.items()})
            for n in g: _close(g[n], gr[n], 1e-3 if CUDA else 1e-4)


def test_registered_cuda_only():
    kernels.register_backends()
    for reg, fn in ((ops.SCAN_BACKENDS, kernels.selective_scan_triton), (ops.SS2D_SCAN_BACKENDS, kernels.ss2d_scan_triton)):
        assert reg.get("triton") is fn and reg.meta("triton")["devices"] == ("cuda",)


@pytest.mark.skipif(not CUDA, reason="needs CUDA")
def test_ss2d_backend_via_ops():
    args = _ss2d_inputs(2, 16, 16, 32, 32)
    y = ops.ss2d_scan(**args, backend="triton")
    _close(y, ops.ss2d_scan(**args, backend="torch"), 1e-4)


@pytest.mark.skipif(not CUDA or ops.optional_import("mamba_ssm.ops.selective_scan_interface") is None,
                    reason="needs CUDA and mamba-ssm")
def test_matches_mamba_ssm():
    args = _inputs(batch=2, dim=64, seqlen=1031, d_state=16, groups=2)
    out, g = _grads(kernels.selective_scan_triton, args)
    ms = {k: (v.detach().clone().requires_grad_(True) if torch.is_tensor(v) else v) for k, v in args.items()}
    ref, gr = _grads(ops.SCAN_BACKENDS.get("mamba_ssm"), ms)
    _close(out, ref, 1e-4)
    for n in g: _close(g[n], gr[n], 1e-3)


def test_cpu_without_interpreter_is_refused():
    if kernels._interpreting(): pytest.skip("the interpreter accepts CPU tensors")
    args = _inputs(**SCAN_SHAPES[0])
    with pytest.raises(RuntimeError, match="need CUDA tensors"):
        kernels.selective_scan_triton(**{k: (v.cpu() if torch.is_tensor(v) else v) for k, v in args.items()})
