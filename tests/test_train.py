"Integration tests of medsegmamba.train: resume equality, DDP on gloo, fail-fast errors, the command line."
import os, json, socket
from pathlib import Path

import pytest
import torch
import torch.nn as nn
import torch.multiprocessing as mp
from torch.utils.data import Dataset

from medsegmamba.train import TrainConfig, fit, main


class Toy(Dataset):
    "A task one 3x3 conv can learn: the mask is 'channel 0 > 0.5'."
    def __init__(self, n, seed, size=16):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.rand(n, 3, size, size, generator=g)
        self.y = (self.x[:, :1] > 0.5).float()
        self.ids = [f"toy{seed}_{i}" for i in range(n)]
    def __len__(self): return len(self.x)
    def __getitem__(self, i): return self.x[i], self.y[i]


def toy_data(): return {"train": Toy(16, 0), "val": Toy(4, 1), "test": Toy(4, 2)}


def toy_cfg(out_dir, **kw):
    kw = {"epochs": 3, "batch_size": 4, "optimizer": {"name": "adam", "lr": 1e-2}, "scheduler": {"name": "cosine"},
          "select_metric": "loss", "select_mode": "min", "device": "cpu", **kw}
    return TrainConfig(out_dir=str(out_dir), **kw)


def toy_model():
    torch.manual_seed(0)
    return nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 1, 1))


def _params(sd): return torch.cat([v.flatten().float() for v in sd.values()])


def test_resume_equals_uninterrupted_toy(tmp_path):
    "Stop after epoch 1 of 3, resume: the same final metrics and weights as an uninterrupted run."
    full = fit(toy_cfg(tmp_path / "a"), model=toy_model(), loss_fn=nn.BCEWithLogitsLoss(), datasets=toy_data())
    part = fit(toy_cfg(tmp_path / "b", stop_after_epoch=1), model=toy_model(), loss_fn=nn.BCEWithLogitsLoss(), datasets=toy_data())
    assert not part["finished"] and len(part["history"]) == 1 and not (tmp_path / "b/metrics.json").exists()
    res = fit(toy_cfg(tmp_path / "b", resume=True), model=toy_model(), loss_fn=nn.BCEWithLogitsLoss(), datasets=toy_data())
    assert res["finished"] and len(res["history"]) == 3
    for k, v in full["test"].items(): assert res["test"][k] == pytest.approx(v, abs=1e-5), k
    a = torch.load(tmp_path / "a/last.pt", weights_only=False)["model"]
    b = torch.load(tmp_path / "b/last.pt", weights_only=False)["model"]
    torch.testing.assert_close(_params(a), _params(b), atol=1e-6, rtol=0)


def test_resume_equals_uninterrupted_real(tmp_path):
    "The same on the real pipeline: unet, the DSB2018 loader (demo data if none), its loss, augmentation and metrics."
    pytest.importorskip("medsegmamba.data")
    kw = dict(protocol="resmamba_ulite/dsb2018/strict", model="unet", epochs=3, batch_size=2, img_size=32, limit=6,
              max_batches=2, device="cpu", seed=1)
    full = fit(TrainConfig.from_protocol(kw.pop("protocol"), out_dir=str(tmp_path / "a"), **kw))
    fit(TrainConfig.from_protocol("resmamba_ulite/dsb2018/strict", out_dir=str(tmp_path / "b"), stop_after_epoch=1, **kw))
    res = fit(TrainConfig.from_protocol("resmamba_ulite/dsb2018/strict", out_dir=str(tmp_path / "b"), resume=True, **kw))
    for k, v in full["test"].items(): assert res["test"][k] == pytest.approx(v, abs=1e-5), k
    assert [h["train_loss"] for h in res["history"]] == pytest.approx([h["train_loss"] for h in full["history"]], abs=1e-5)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0)); return s.getsockname()[1]


def _ddp_worker(rank, world, port, out_dir):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), LOCAL_RANK=str(rank),
                      WORLD_SIZE=str(world))
    torch.set_num_threads(1)
    model = toy_model()
    fit(toy_cfg(out_dir, epochs=1), model=model, loss_fn=nn.BCEWithLogitsLoss(), datasets=toy_data())
    torch.save(model.state_dict(), Path(out_dir) / f"rank{rank}.pt")


def test_ddp_gloo_matches_single_process(tmp_path):
    """2 CPU processes (gloo), global batch 4 = 2 per rank, 1 epoch.
    Documented result: (1) the parameters are identical on both ranks; (2) they equal a single-process run with the
    same global batch within 1e-5, because the model has no BatchNorm, the loss (BCE) is a per-pixel mean, and
    DistributedSampler with one replica gives the same (seed, epoch) permutation that the two ranks split by striding,
    so each DDP step averages the gradients of exactly the single-process batch."""
    port = _free_port()
    mp.spawn(_ddp_worker, args=(2, port, str(tmp_path / "ddp")), nprocs=2, join=True)
    r0 = torch.load(tmp_path / "ddp/rank0.pt"); r1 = torch.load(tmp_path / "ddp/rank1.pt")
    torch.testing.assert_close(_params(r0), _params(r1), atol=0, rtol=0)
    model = toy_model()
    single = fit(toy_cfg(tmp_path / "one", epochs=1), model=model, loss_fn=nn.BCEWithLogitsLoss(), datasets=toy_data())
    torch.testing.assert_close(_params(r0), _params(model.state_dict()), atol=1e-5, rtol=0)
    m = json.loads((tmp_path / "ddp/metrics.json").read_text())
    assert m["world_size"] == 2
    assert m["test"]["per_image/dsc"] == pytest.approx(single["test"]["per_image/dsc"], abs=1e-5)
    h, h1 = m["history"][0], single["history"][0]  # validation sharded over the 2 ranks, merged by id
    for k in ("val/loss", "val/per_image/dsc", "val/pooled/dsc", "val/n_images", "train_loss"):
        assert h[k] == pytest.approx(h1[k], abs=1e-5), k


def test_fail_fast_errors(tmp_path):
    pytest.importorskip("medsegmamba.data")
    base = dict(protocol="resmamba_ulite/dsb2018/strict", out_dir=str(tmp_path), device="cpu")
    mk = lambda **kw: TrainConfig.from_protocol(base["protocol"], **{**{k: v for k, v in base.items() if k != "protocol"}, **kw})
    with pytest.raises(ValueError, match="model='nope' is not valid"): fit(mk(model="nope"))
    with pytest.raises(ValueError, match="dataset='nope' is not valid"): fit(mk(dataset="nope"))
    with pytest.raises(FileNotFoundError, match="data_dir="): fit(mk(data_dir=str(tmp_path / "missing")))
    with pytest.raises(ValueError, match="divisible by 32"): fit(mk(img_size=50, limit=2))
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="no CUDA GPU"): fit(mk(device="cuda"))
    assert not (tmp_path / "last.pt").exists()


def test_cli_runs_one_epoch(tmp_path):
    pytest.importorskip("medsegmamba.data")
    res = main(["--protocol", "resmamba_ulite/dsb2018/strict", "--model", "unet", "--epochs", "1", "--img_size", "32",
                "--limit", "4", "--batch_size", "2", "--device", "cpu", "--out_dir", str(tmp_path)])
    assert res["finished"] and (tmp_path / "metrics.json").exists()
