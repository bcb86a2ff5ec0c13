"""VMamba-S v0 pretrained loading (`load_vmamba_pretrained`) for every VM-UNet-family model, through the registry.

The synthetic checkpoints have VMamba v0's key layout (`vmamba_v0_key_shapes`, written out by hand from the layout of
VMamba v0's classification VSSM as copied by JCruan519/VM-UNet models/vmunet/vmamba.py); narrow widths keep this fast.
The real file (vmamba_small_e238_ema.pth) is used when it lies in ../shared/weights or ./pre_trained_weights.
"""
from pathlib import Path

import pytest
import torch

from medsegmamba.core import MODELS
import medsegmamba.models.vm_unet  # noqa: F401  (registers vm_unet)
import medsegmamba.models.sa_umamba  # noqa: F401  (registers sa_umamba)
from medsegmamba.models.vm_unet import PRETRAINED, load_vmamba_pretrained, synthetic_vmamba_checkpoint, vmamba_v0_key_shapes

NARROW = dict(dims=(16, 32, 64, 128), dims_decoder=(128, 64, 32, 16))
FAMILY = ["vm_unet", "sa_umamba"]
N_ENC, N_DEC = 4 + 8 * 13 + 9, 7 * 13   # patch embed + 8 blocks x 13 tensors + 3 merges x 3; 7 decoder blocks x 13
REPO = Path(__file__).resolve().parents[1]
REAL = [REPO.parent / "shared" / "weights" / PRETRAINED["vmamba_small_v0"]["file"],
        REPO / "pre_trained_weights" / PRETRAINED["vmamba_small_v0"]["file"]]


@pytest.mark.parametrize("name", FAMILY)
def test_load_from_file(name, tmp_path):
    torch.manual_seed(0)
    model = MODELS.get(name)(**NARROW)
    ck = synthetic_vmamba_checkpoint(dims=NARROW["dims"])
    path = tmp_path / "vmamba_small_e238_ema.pth"
    torch.save({"model": {k: v.clone() for k, v in ck["model"].items()}, "epoch": 238}, path)
    rep = load_vmamba_pretrained(model, path)
    assert (len(rep.encoder), len(rep.decoder), rep.mismatched) == (N_ENC, N_DEC, [])
    assert len(rep.unexpected) == 25 * 13 + 4            # stage-2 blocks 2..26, norm, head
    names = list(vmamba_v0_key_shapes(dims=NARROW["dims"]))
    own = model.vmunet.state_dict()
    for mk, ck_key in [("layers.3.blocks.0.self_attention.Ds", "layers.3.blocks.0.self_attention.Ds"),
                       ("layers_up.0.blocks.0.self_attention.Ds", "layers.3.blocks.0.self_attention.Ds"),
                       ("layers_up.3.blocks.0.self_attention.in_proj.weight", "layers.0.blocks.0.self_attention.in_proj.weight")]:
        assert own[mk].unique().tolist() == [float(names.index(ck_key))], mk
    with torch.no_grad():
        assert model.eval()(torch.randn(1, 3, 32, 32)).shape == (1, 1, 32, 32)


@pytest.mark.parametrize("name", FAMILY)
def test_mismatch_is_named(name):
    model = MODELS.get(name)(**NARROW)
    ck = synthetic_vmamba_checkpoint(dims=NARROW["dims"], d_state=8)   # a checkpoint with another state size
    with pytest.raises(ValueError, match=r"x_proj_weight' has shape \(4, 17, 32\) but model key .* has \(4, 33, 32\)"):
        load_vmamba_pretrained(model, ck)


def test_authors_sa_umamba_keys_round_trip():
    "A state dict with the authors' dead DySample/iAFF keys loads strictly into include_dead_modules=True."
    a = MODELS.get("sa_umamba")(include_dead_modules=True, **NARROW)
    b = MODELS.get("sa_umamba")(include_dead_modules=True, **NARROW)
    res = b.load_state_dict(a.state_dict())
    assert (res.missing_keys, res.unexpected_keys) == ([], [])


@pytest.mark.parametrize("name", FAMILY)
def test_real_vmamba_small(name):
    path = next((p for p in REAL if p.is_file()), None)
    if path is None: pytest.skip(f"vmamba_small_e238_ema.pth not found in {', '.join(map(str, REAL))}")
    model = MODELS.get(name)()
    rep = load_vmamba_pretrained(model, path, weights_only=False)   # the original file also pickles its training config
    assert (len(rep.encoder), len(rep.decoder), rep.mismatched) == (N_ENC, N_DEC, [])
    with torch.no_grad():
        assert model.eval()(torch.randn(1, 3, 64, 64)).shape == (1, 1, 64, 64)
