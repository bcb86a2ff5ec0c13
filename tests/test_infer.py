"""medsegmamba.infer on CPU: eager / compile equality with the fp32 eager model, bf16 tolerance, error paths, and a
smoke run of benchmarks/bench_models.py (GPU-only parts are skipped without CUDA)."""
import copy, csv, importlib.util, os, re, warnings
from pathlib import Path

import pytest
import torch

from medsegmamba.infer import (MODES, TOLERANCE, InferenceModel, optimize_for_inference, predict, rel_error,
                               set_scan_backend)
from medsegmamba.models.resmamba_ulite import resmamba_ulite
from medsegmamba.models.unet import unet

ROOT = Path(__file__).resolve().parents[1]
CUDA = torch.cuda.is_available()


@pytest.fixture(autouse=True)
def one_thread():
    "The CI / dev CPU is shared: one thread is ~30x faster than oversubscribed ones here."
    n = torch.get_num_threads(); torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    return resmamba_ulite(widths=(16,) * 6).eval()   # 32,322 parameters, 5 SS2D layers


@pytest.fixture(scope="module")
def small_unet():
    torch.manual_seed(0)
    return unet(features=(4, 8, 16, 32, 64)).eval()


def test_eager_equals_module(small_unet):
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad(): want = small_unet(x)
    im = InferenceModel(small_unet, x.shape, device="cpu", mode="eager", channels_last=False)
    assert torch.equal(im(x), want)
    assert rel_error(InferenceModel(small_unet, x.shape, device="cpu")(x), want) < TOLERANCE[torch.float32]


def test_bf16_within_tolerance(tiny):
    x = torch.randn(2, 3, 32, 32)
    im = InferenceModel(tiny, x.shape, device="cpu", dtype=torch.bfloat16)
    err = im.check(x, tol=TOLERANCE[torch.bfloat16])
    assert 0 < err <= 2e-2                         # bf16 really ran (not bit-equal) and stayed within 2e-2
    assert im(x).dtype == torch.float32


def test_compile_scan_graph_break(tiny):
    "torch.compile (Dynamo + AOTAutograd, no codegen) with each SS2D scan as a graph break equals eager."
    x = torch.randn(1, 3, 32, 32)
    im = InferenceModel(tiny, x.shape, device="cpu", mode="compile", compile_kwargs={"backend": "aot_eager"})
    assert set(im.scan_backends.values()) == {"torch+nocompile"} and len(im.scan_backends) == 5
    assert im.check(x) <= TOLERANCE[torch.float32]
    # the caller's model keeps its own backends
    assert {m.scan_backend for m in tiny.modules() if hasattr(m, "scan_backend")} == {"auto"}


def test_optimize_for_inference_verifies(tiny):
    o = optimize_for_inference(tiny, (1, 3, 32, 32), device="cpu", mode="eager", dtype="float32")
    assert o.info()["dtype"] == "float32" and o.info()["scan_backends"] == ["torch"]
    with pytest.raises(RuntimeError, match="exceeds tol=1e-12"):
        optimize_for_inference(tiny, (1, 3, 32, 32), device="cpu", mode="eager", dtype="bf16", tol=1e-12)


@pytest.mark.skipif(CUDA, reason="checks the CPU error path")
@pytest.mark.parametrize("mode", ["cudagraph", "compile+cudagraph"])
def test_cudagraph_needs_cuda(small_unet, mode):
    with pytest.raises(RuntimeError, match=re.escape(f"mode={mode!r} needs a CUDA device")):
        InferenceModel(small_unet, (1, 3, 32, 32), device="cpu", mode=mode)
    with pytest.raises(RuntimeError, match="no CUDA GPU is available"):
        InferenceModel(small_unet, (1, 3, 32, 32), device="cuda", mode="eager")
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        im = InferenceModel(small_unet, (1, 3, 32, 32), device="cpu", mode=mode, fallback=True,
                            compile_kwargs={"backend": "eager"})
    assert im.mode == mode.replace("+cudagraph", "").replace("cudagraph", "eager")
    assert any("needs a CUDA device" in str(i.message) for i in w)


def test_bad_arguments(small_unet):
    with pytest.raises(ValueError, match="mode='jit' is not valid"):
        InferenceModel(small_unet, (1, 3, 32, 32), device="cpu", mode="jit")
    with pytest.raises(ValueError, match=r"dtype=torch.float16: expected torch.float32 or torch.bfloat16"):
        InferenceModel(small_unet, (1, 3, 32, 32), device="cpu", dtype=torch.float16)
    with pytest.raises(ValueError, match=r"example_input_shape=\(1, 3, 0, 32\)"):
        InferenceModel(small_unet, (1, 3, 0, 32), device="cpu")
    im = InferenceModel(small_unet, (1, 3, 32, 32), device="cpu")
    with pytest.raises(ValueError, match=r"x: expected \(B, 3, H, W\), got shape \(3, 32, 32\)"):
        im(torch.randn(3, 32, 32))
    with pytest.raises(KeyError, match="unknown ss2d scan backend 'cuda_fast'"):
        set_scan_backend(resmamba_ulite(widths=(16,) * 6), "cuda_fast", "cpu")


def test_predict_batches_and_tta(small_unet):
    xs = torch.randn(5, 3, 32, 32)
    with torch.no_grad():
        ref = small_unet(xs)
        tta = (ref + small_unet(xs.flip(-1)).flip(-1) + small_unet(xs.flip(-2)).flip(-2)) / 3
    im = InferenceModel(small_unet, (2, 3, 32, 32), device="cpu")
    torch.testing.assert_close(predict(im, xs, batch_size=2), ref, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(predict(small_unet, xs, batch_size=4, tta=True), tta, rtol=1e-4, atol=1e-5)


@pytest.mark.skipif(not CUDA, reason="needs a CUDA GPU")
@pytest.mark.parametrize("mode", MODES)
def test_gpu_modes_equal_eager(mode):
    torch.manual_seed(0)
    m = resmamba_ulite().eval()
    for dt in (torch.float32, torch.bfloat16):
        im = optimize_for_inference(m, (1, 3, 256, 256), device="cuda", dtype=dt, mode=mode)
        assert im.check(tol=TOLERANCE[dt]) <= TOLERANCE[dt]
        if im.graphed:    # a second shape is captured on first use
            x = torch.randn(2, 3, 256, 256, device="cuda")
            assert rel_error(im(x), im.eager(x)) <= TOLERANCE[dt]
            assert len(im.info()["graphs"]) == 2


def _bench():
    spec = importlib.util.spec_from_file_location("bench_models", ROOT / "benchmarks" / "bench_models.py")
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    return mod


def test_bench_models_smoke(tmp_path):
    "The benchmark script end to end on the CPU at 32x32 (eager, U-Net): a row per job and a CSV."
    out = tmp_path / "models.csv"
    rows = _bench().main(["--device", "cpu", "--img-size", "32", "--models", "unet", "--modes", "eager", "cudagraph",
                          "--tp-batch", "2", "--quick", "--epoch", "--epoch-images", "3", "--epoch-batch", "2",
                          "--cache", str(tmp_path / "absent.npz"), "--out", str(out)])
    got = list(csv.DictReader(out.open()))
    assert [(r["model"], r["mode"]) for r in got] == [("unet", "eager"), ("unet", "cudagraph")]
    eager = got[0]
    assert float(eager["latency_ms"]) > 0 and float(eager["throughput_ips"]) > 0 and eager["tp_batch"] == "2"
    assert float(eager["epoch_s"]) > 0 and eager["epoch_steps"] == "2"          # 3 images in batches of 2
    assert float(eager["rel_err"]) <= TOLERANCE[torch.bfloat16]
    if not CUDA: assert "needs a CUDA device" in got[1]["note"]
    assert len(rows) == 2


def test_bench_ss2d_ab(monkeypatch, capsys):
    """benchmarks/bench_ss2d.py's `--ab`: one Triton method per argument, switches joined by commas set together while
    it runs and restored after, a repeated `--ab` adds to the list, and a spec that is not VAR=VALUE with MEDSEGMAMBA_
    variables is refused by name before anything runs."""
    spec = importlib.util.spec_from_file_location("bench_ss2d", ROOT / "benchmarks" / "bench_ss2d.py")
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    ab = mod.parse_ab(["MEDSEGMAMBA_TRITON_FWD_PIPE=3,MEDSEGMAMBA_TRITON_FWD_CHUNK=4", "MEDSEGMAMBA_TRITON_BWD_PARTS=1"])
    assert ab == [("triton[FWD_PIPE=3,FWD_CHUNK=4]", {"MEDSEGMAMBA_TRITON_FWD_PIPE": "3", "MEDSEGMAMBA_TRITON_FWD_CHUNK": "4"}),
                  ("triton[BWD_PARTS=1]", {"MEDSEGMAMBA_TRITON_BWD_PARTS": "1"})]
    monkeypatch.setenv("MEDSEGMAMBA_TRITON_FWD_CHUNK", "2"); monkeypatch.delenv("MEDSEGMAMBA_TRITON_FWD_PIPE", raising=False)
    seen = mod.with_env(lambda: (os.environ.get("MEDSEGMAMBA_TRITON_FWD_PIPE"), os.environ["MEDSEGMAMBA_TRITON_FWD_CHUNK"]),
                        ab[0][1])()
    assert seen == ("3", "4")
    assert "MEDSEGMAMBA_TRITON_FWD_PIPE" not in os.environ and os.environ["MEDSEGMAMBA_TRITON_FWD_CHUNK"] == "2"
    for bad in ("MEDSEGMAMBA_TRITON_FWD_PIPE=3,FOO=1", "MEDSEGMAMBA_X", "MEDSEGMAMBA_X="):
        with pytest.raises(ValueError, match=f"--ab {bad}: expected VAR=VALUE"): mod.parse_ab([bad])
    with pytest.raises(SystemExit):
        mod.main(["--ab", "MEDSEGMAMBA_A=1", "--ab", "MEDSEGMAMBA_B=2,FOO=3"])
    assert "--ab MEDSEGMAMBA_B=2,FOO=3: expected VAR=VALUE" in capsys.readouterr().err   # the second list was read too


def test_profile_train_step_smoke(tmp_path):
    "benchmarks/profile_train_step.py on the CPU at 32x32: per-step wall time, kernel rows and a CSV."
    spec = importlib.util.spec_from_file_location("profile_train_step", ROOT / "benchmarks" / "profile_train_step.py")
    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)
    out = tmp_path / "step.csv"
    rows = mod.main(["--device", "cpu", "--img-size", "32", "--models", "unet", "--batch", "2", "--warmup", "1",
                     "--steps", "1", "--prof-steps", "1", "--top", "3", "--out", str(out)])
    got = list(csv.DictReader(out.open()))
    assert len(got) == len(rows) == 3 and {r["model"] for r in got} == {"unet"}
    assert float(got[0]["wall_ms_per_step"]) > 0 and float(got[0]["kernel_ms_per_step"]) >= float(got[-1]["kernel_ms_per_step"])
    assert "conv" in got[0]["kernel"]  # a U-Net step's time is in its convolutions
