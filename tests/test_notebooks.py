"Papermill runs of nbs/train.ipynb and nbs/evaluate.ipynb: every model quick on the demo data, real DSB2018, bad inputs."
import json
from pathlib import Path

import pytest

papermill = pytest.importorskip("papermill")
ROOT = Path(__file__).resolve().parents[1]
NBS = ROOT / "nbs"
DSB = ROOT.parent / "shared" / "data" / "dsb2018"


def _models():
    "Every registered model; 3D ones are skipped (the notebook trains 2D binary tasks on 2D data)."
    from medsegmamba.core import MODELS
    from medsegmamba.models import list_models
    return [pytest.param(m, marks=pytest.mark.skip(reason=f"{m} is a 3D model; the demo data are 2D"))
            if MODELS.meta(m).get("spatial_dims") == 3 else m for m in list_models()]


def run_train(tmp_path, name="run", **params):
    out = tmp_path / name
    papermill.execute_notebook(str(NBS / "train.ipynb"), str(tmp_path / f"{name}.ipynb"), cwd=str(ROOT),
                               parameters={"out_dir": str(out), "device": "cpu", **params}, progress_bar=False,
                               kernel_name="python3")
    return out


def check_run(out:Path):
    m = json.loads((out / "metrics.json").read_text())
    assert m["finished"] and len(m["history"]) == 2
    assert 0 <= m["test"]["per_image/dsc"] <= 1 and 0 <= m["test"]["pooled/dsc"] <= 1
    for f in ("best.pt", "last.pt", "model.safetensors", "model.json", "history.csv", "test_table.csv", "per_image.csv",
              "paper_comparison.csv", "learning_curves.png", "cases.png", "config.json", "protocol.json", "splits.json",
              "package_info.json"):
        assert (out / f).is_file() and (out / f).stat().st_size > 0, f
    return m


@pytest.mark.parametrize("model", _models())
def test_train_quick_every_model(tmp_path, model):
    m = check_run(run_train(tmp_path, model=model, quick=True))
    assert m["is_demo"] and m["config"]["model"] == model and m["config"]["img_size"] == 32


def test_train_quick_then_evaluate_safetensors(tmp_path):
    out = run_train(tmp_path, model="unet", quick=True)
    cmp = (out / "paper_comparison.csv").read_text()
    assert "91.35" in cmp  # U-Net's DSC in ResMamba-ULite's DSB2018 table, beside ours
    ev = tmp_path / "eval"
    papermill.execute_notebook(str(NBS / "evaluate.ipynb"), str(tmp_path / "eval.ipynb"), cwd=str(ROOT), progress_bar=False,
                               parameters={"checkpoint": str(out / "model.safetensors"), "out_dir": str(ev),
                                           "device": "cpu", "limit": 3}, kernel_name="python3")
    e = json.loads((ev / "eval_metrics.json").read_text())
    assert e["n"] == 3 and (ev / "cases.png").is_file() and (ev / "per_image.csv").is_file()


@pytest.mark.skipif(not DSB.is_dir(), reason=f"{DSB} is absent")
def test_train_quick_real_dsb2018(tmp_path):
    m = check_run(run_train(tmp_path, dataset="dsb2018", data_dir=str(DSB), model="unet", quick=True))
    assert not m["is_demo"]


@pytest.mark.parametrize("params, message", [
    ({"model": "nope"}, "model='nope' is not valid"),
    ({"dataset": "nope"}, "dataset='nope' is not valid"),
    ({"data_dir": "/no/such/folder"}, "data_dir='/no/such/folder'"),
    ({"device": "cuda"}, "no CUDA GPU is available"),
])
def test_train_bad_inputs_fail_fast(tmp_path, params, message):
    if params.get("device") == "cuda":
        import torch
        if torch.cuda.is_available(): pytest.skip("a GPU is present")
    with pytest.raises(papermill.PapermillExecutionError) as e:
        run_train(tmp_path, **{"quick": True, **params, "device": params.get("device", "cpu")})
    assert message in str(e.value)
    assert not (tmp_path / "run" / "last.pt").exists()


def test_reproduce_quick_resumable(tmp_path):
    "papers/resmamba_ulite/reproduce.ipynb on the demo data: 2 quick runs, the tables beside the paper's, the published weights."
    nb = ROOT / "papers" / "resmamba_ulite" / "reproduce.ipynb"
    params = {"quick": True, "device": "cpu", "out_dir": str(tmp_path / "runs"), "results_dir": str(tmp_path / "results"),
              "weights_dir": str(tmp_path / "weights"), "resmamba_protocols": ["strict"], "resmamba_seeds": [0],
              "unet_seeds": [0], "other_models": []}
    ex = lambda **kw: papermill.execute_notebook(str(nb), str(tmp_path / "r.ipynb"), cwd=str(nb.parent), progress_bar=False,
                                                 parameters={**params, **kw}, kernel_name="python3")
    from medsegmamba.train import run_status
    ex(parallel=2, stop_after_epoch=1)  # both runs at once, each stops after epoch 1 (checkpointed, not tested)
    runs = [tmp_path / "runs" / f"dsb2018__{m}__strict__s0" for m in ("resmamba_ulite", "unet")]
    assert [run_status(o) for o in runs] == ["partial", "partial"]
    ex()  # resumes both to the end
    assert [run_status(o) for o in runs] == ["done", "done"]
    import pandas as pd
    res = tmp_path / "results"
    t = pd.read_csv(res / "dsb2018_table.csv").set_index("model")
    assert list(t.index) == ["resmamba_ulite", "unet"] and set(t["protocol"]) == {"strict"} and list(t["n_seeds"]) == [1, 1]
    assert t.loc["resmamba_ulite", "paper_soft_dsc"] == 91.91 and t.loc["unet", "paper_soft_dsc"] == 91.35
    r = pd.read_csv(res / "dsb2018_runs.csv").set_index("run")
    for m in ("resmamba_ulite", "unet"):  # mean of one seed == that run; delta == ours - paper
        assert t.loc[m, "soft_dsc_mean"] == r.loc[f"dsb2018__{m}__strict__s0", "soft_dsc"]
        assert abs(t.loc[m, "delta_soft_dsc"] - (t.loc[m, "soft_dsc_mean"] - t.loc[m, "paper_soft_dsc"])) < 1e-9
    assert r["test_ids_sha1"].nunique() == 1 and set(r["epochs_run"]) == {2}
    for f in ("deltas.png", "resmamba_ulite_best_cases.png", "summary.json", "sunnybrook_table.csv",
              "runs/dsb2018__unet__strict__s0/metrics.json", "runs/dsb2018__unet__strict__s0/params.json"):
        assert (res / f).is_file(), f
    assert not list(res.rglob("*.pt")) and not list(res.rglob("*.safetensors"))
    first = (res / "dsb2018_table.csv").read_text()
    ex(assemble_only=True)  # finished runs are not trained again; the table is rebuilt identically
    assert (res / "dsb2018_table.csv").read_text() == first
    from test_published_weights import check_published
    card = json.loads((tmp_path / "weights" / "model_card.json").read_text())
    assert card["run"] == "dsb2018__resmamba_ulite__strict__s0" and card["is_demo"]
    check_published(tmp_path / "weights")  # the demo weights re-score their check ids on the demo data


@pytest.mark.parametrize("roots, message", [
    ({"dsb": "x"}, "data_roots: unknown key(s) ['dsb']"),
    ({"dsb2018": "/no/such.npz"}, "data_roots: dsb2018='/no/such.npz' not found"),
    ({"sunnybrook_endo": "EPI_CACHE"}, "is a cache of target 'epi', not 'endo'"),
])
def test_reproduce_bad_data_roots_fail_fast(tmp_path, roots, message):
    "reproduce.ipynb stops before training on an unknown key, a missing path, or a Sunnybrook cache of the other target."
    if "EPI_CACHE" in roots.values():  # a cache whose info record says target="epi" (the check reads only `info`)
        import numpy as np
        fake = tmp_path / "sunnybrook_epi_32.npz"
        np.savez_compressed(fake, info=np.array(json.dumps({"dataset": "sunnybrook", "img_size": [32, 32],
                                                                "scan_kwargs": {"target": "epi"}, "format": 1})))
        roots = {k: (str(fake) if v == "EPI_CACHE" else v) for k, v in roots.items()}
    nb = ROOT / "papers" / "resmamba_ulite" / "reproduce.ipynb"
    with pytest.raises(papermill.PapermillExecutionError) as e:
        papermill.execute_notebook(str(nb), str(tmp_path / "r.ipynb"), cwd=str(nb.parent), progress_bar=False, kernel_name="python3",
                                   parameters={"data_roots": roots, "device": "cpu", "out_dir": str(tmp_path / "runs"),
                                               "results_dir": str(tmp_path / "results"), "weights_dir": str(tmp_path / "w")})
    assert message in str(e.value)
    assert not (tmp_path / "runs").exists()
