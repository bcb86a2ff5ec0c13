"The published ResMamba-ULite DSB2018 checkpoint (papers/resmamba_ulite/weights/): loads on CPU and re-scores its check ids."
import json
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS = ROOT / "papers" / "resmamba_ulite" / "weights"
DSB = ROOT.parent / "shared" / "data" / "dsb2018"
CACHE = ROOT / ".cache" / "dsb2018_256.npz"
TOL = 0.005  # 0.5 DSC points


def load_published(wdir:Path):
    "The documented load call: create_model + the fp16 safetensors cast to float32."
    from safetensors.torch import load_file
    from medsegmamba.models import create_model
    card = json.loads((wdir / "model_card.json").read_text())
    sd = load_file(str(wdir / card["weights"]))
    assert all(v.dtype == torch.float16 for v in sd.values() if v.is_floating_point()), "weights must be fp16"
    model = create_model("resmamba_ulite", scan_backend="torch")  # "torch": the scan "auto" picks on CPU, named
    model.load_state_dict({k: v.float() for k, v in sd.items()})  # strict: every key matches the model's
    return model.eval(), card


def check_published(wdir:Path, root=None, cache=None) -> dict:
    "Re-score the card's check ids on CPU; assert soft and hard DSC within 0.5 points of the card's numbers."
    from torch.utils.data import Subset
    from medsegmamba.data import load_dataset
    from medsegmamba.train import evaluate
    model, card = load_published(wdir)
    ds = load_dataset("dsb2018", root=root, cache=cache, split="test", protocol=card["protocol"], img_size=card["img_size"],
                      augment=False)
    ids = card["check"]["ids"]
    pos = {str(i): j for j, i in enumerate(ds.ids)}
    assert set(ids) <= set(pos), "the card's check ids must be test ids of its protocol's split"
    sub = Subset(ds, [pos[i] for i in ids]); sub.ids = ids
    _, per = evaluate(model, sub, device="cpu", amp=False)
    assert len(per) == card["check"]["n"] == len(ids)
    got = {"soft_dsc": float(per["soft_dsc"].mean()), "dsc": float(per["dsc"].mean())}
    for k, v in got.items():
        assert abs(v - card["check"][k]) <= TOL, f"{k}: {v:.4f} on CPU, card says {card['check'][k]:.4f}"
        assert abs(v - card["check"][f"run_{k}"]) <= 2 * TOL, f"{k}: {v:.4f} on CPU, the training run said {card['check'][f'run_{k}']:.4f}"
    return got


@pytest.mark.skipif(not (WEIGHTS / "model_card.json").is_file(), reason=f"no published weights in {WEIGHTS} yet")
def test_published_weights_load_and_score():
    if CACHE.is_file(): kw = {"cache": str(CACHE)}
    elif DSB.is_dir(): kw = {"root": str(DSB)}
    else: pytest.skip(f"neither {CACHE} nor {DSB} is present")
    card = json.loads((WEIGHTS / "model_card.json").read_text())
    assert not card["is_demo"], "the published card must come from a real DSB2018 run, not the demo data"
    assert (WEIGHTS / card["weights"]).stat().st_size < 10e6 and (WEIGHTS / "MODEL_CARD.md").is_file()
    check_published(WEIGHTS, **kw)
    from medsegmamba.train import load_model  # the other documented call: the config json beside the weights
    model, cfg = load_model(WEIGHTS / card["weights"], device="cpu", scan_backend="torch")
    assert cfg.model == "resmamba_ulite" and cfg.protocol == card["protocol"]
