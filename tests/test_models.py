"""Every registered model: forward+backward, output shape, the divisibility error, scan-backend parity, param counts.

Parametrised over `list_models()` (timm's tests/test_models.py pattern). CPU sizes are tiny: 64x64 (2D) and 32^3 (3D)
for forward/backward, batch 1, the smallest valid size for the backend comparison.
"""
import pytest
import torch

from medsegmamba import core
from medsegmamba.models import EXPECTED_PARAMS, count_params, create_model, list_models, model_input

MODELS = list_models()
HAS_CUDA = torch.cuda.is_available()


def _dims(name): return core.MODELS.meta(name).get("spatial_dims", 2)


def _rel(a, b): return ((a.float() - b.float()).abs().max() / b.float().abs().max().clamp_min(1e-12)).item()


def _uses_scan(model):
    "True when the model has a Mamba/SS2D layer with a `scan_backend` (U-Net has none)."
    return any(hasattr(m, "scan_backend") for m in model.modules())


def test_registry_has_every_paper_model():
    assert set(EXPECTED_PARAMS) <= set(MODELS), f"missing: {set(EXPECTED_PARAMS) - set(MODELS)}"


@pytest.mark.parametrize("name", sorted(EXPECTED_PARAMS))
def test_param_count(name):
    assert count_params(create_model(name)) == EXPECTED_PARAMS[name]


@pytest.mark.parametrize("name", MODELS)
def test_forward_backward(name):
    torch.manual_seed(0)
    model = create_model(name, num_classes=2)
    size = 32 if _dims(name) == 3 else 64
    x = model_input(name, model, batch=1, size=size).requires_grad_()
    y = model(x)
    assert y.shape == (x.shape[0], 2, *x.shape[2:])
    y.float().square().mean().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0
    with_grad = [n for n, p in model.named_parameters() if p.requires_grad and p.grad is not None]
    assert len(with_grad) > 0


@pytest.mark.parametrize("name", MODELS)
def test_divisibility_error_names_model(name):
    model = create_model(name)
    s = model.stride
    bad = torch.randn(1, model_input(name, model).shape[1], *([s + s // 2] * _dims(name)))
    with pytest.raises(ValueError, match=f"divisible by {s}") as e:
        model(bad)
    # the message names the model (a variant may use its base entry's name, e.g. lightm_unet for lightm_unet_3d)
    assert any(n in str(e.value) and name.startswith(n) for n in MODELS), str(e.value)


@pytest.mark.parametrize("name", MODELS)
def test_ref_vs_torch_scan(name):
    torch.manual_seed(0)
    ref = create_model(name, scan_backend="ref").eval()
    if not _uses_scan(ref): pytest.skip(f"{name} has no selective-scan layer")
    fast = create_model(name, scan_backend="torch").eval()
    fast.load_state_dict(ref.state_dict())
    x = model_input(name, ref, batch=1, size=8 if _dims(name) == 3 else None)
    with torch.no_grad():
        assert _rel(fast(x), ref(x)) < 1e-4


@pytest.mark.skipif(not HAS_CUDA or core.optional_import("mamba_ssm") is None, reason="needs a CUDA GPU and mamba_ssm")
@pytest.mark.parametrize("name", MODELS)
def test_backends_agree_on_gpu(name):
    "ref / torch / mamba_ssm give the same logits from the same weights (benchmarks/backend_parity.py writes a table)."
    # TF32 convolutions (cuDNN's default) round their inputs to 10 mantissa bits, which turns the scans' 1e-7
    # differences into ~5e-4 at the logits (measured on the H100): compare in true float32.
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = False, False
    torch.manual_seed(0)
    ref = create_model(name, scan_backend="ref").cuda().eval()
    if not _uses_scan(ref): pytest.skip(f"{name} has no selective-scan layer")
    x = model_input(name, ref, batch=1, size=16 if _dims(name) == 3 else 64).cuda()
    with torch.no_grad():
        y_ref = ref(x)
        for backend in ("torch", "mamba_ssm"):
            m = create_model(name, scan_backend=backend).cuda().eval()
            m.load_state_dict(ref.state_dict())
            assert _rel(m(x), y_ref) < 1e-4, backend
