"""The committed ResMamba-ULite results (papers/resmamba_ulite/results/) agree with their own per-run records.

Every number in the tables must come from a run's metrics.json; these tests recompute the tables' means, the
deltas to the paper, the epochs and the shared test ids from the per-run files that reproduce.ipynb copied.
"""
import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

PAPER = Path(__file__).resolve().parents[1] / "papers" / "resmamba_ulite"
RES = PAPER / "results"
TABLES = [(RES, "grid"), (RES / "long", "long")]
pytestmark = pytest.mark.skipif(not (RES / "dsb2018_table.csv").is_file(), reason="no committed results yet")


def ids_sha1(ids) -> str:  # the hash reproduce.ipynb writes (sha1 of the sorted ids, one per line, first 12 hex digits)
    return hashlib.sha1("\n".join(sorted(map(str, ids))).encode()).hexdigest()[:12]


def split_test_ids(name:str) -> list:
    return json.loads((PAPER / "splits" / f"{name}.json").read_text())["folds"][0]["test"]


def test_every_model_of_the_issue_is_in_the_dsb2018_table():
    t = pd.read_csv(RES / "dsb2018_table.csv")
    rows = set(zip(t["model"], t["protocol"]))
    assert rows == {("resmamba_ulite", "faithful"), ("resmamba_ulite", "strict"), ("unet", "strict"),
                    ("lightm_unet", "strict"), ("vm_unet", "strict"), ("sa_umamba", "strict")}
    n = dict(zip(zip(t["model"], t["protocol"]), t["n_seeds"]))
    assert n[("resmamba_ulite", "faithful")] >= 3 and n[("resmamba_ulite", "strict")] >= 3 and n[("unet", "strict")] >= 3


@pytest.mark.parametrize("res,label", TABLES)
def test_same_held_out_ids_everywhere(res, label):
    "Every DSB2018 run, faithful or strict, is tested on the 111 test ids of the split files."
    want = ids_sha1(split_test_ids("dsb2018"))
    assert want == ids_sha1(split_test_ids("dsb2018_strict"))
    runs = pd.read_csv(res / "dsb2018_runs.csv")
    assert set(runs["test_ids_sha1"].astype(str)) == {want} and set(runs["n_test"]) == {111}
    for r in runs["run"]:
        assert ids_sha1(json.loads((res / "runs" / r / "splits.json").read_text())["test"]) == want


@pytest.mark.parametrize("res,label", TABLES)
def test_tables_recompute_from_the_run_records(res, label):
    runs = pd.read_csv(res / "dsb2018_runs.csv")
    table = pd.read_csv(res / "dsb2018_table.csv")
    paper = pd.read_csv(PAPER / "paper_tables" / "resmamba_ulite_dsb2018.csv").set_index("Method")
    for _, r in runs.iterrows():
        m = json.loads((res / "runs" / r["run"] / "metrics.json").read_text())
        hist = pd.read_csv(res / "runs" / r["run"] / "history.csv")
        assert m["finished"] and not m["is_demo"]
        assert r["soft_dsc"] == pytest.approx(100 * m["test"]["soft/dsc"]) and r["dsc"] == pytest.approx(100 * m["test"]["per_image/dsc"])
        assert r["epochs_run"] == len(hist) == len(m["history"]) and r["best_epoch"] == m["best_epoch"] + 1
    for _, row in table.iterrows():
        mine = runs[(runs["model"] == row["model"]) & (runs["protocol"] == row["protocol"])]
        assert row["n_seeds"] == len(mine)
        for c in ("soft_dsc", "dsc", "iou", "precision", "recall", "f1"):
            assert row[f"{c}_mean"] == pytest.approx(mine[c].mean())
        if row["model"] == "resmamba_ulite":
            assert row["paper_soft_dsc"] == pytest.approx(float(paper.loc["ResMamba-ULite", "DSC"]))
            assert row["delta_soft_dsc"] == pytest.approx(row["soft_dsc_mean"] - row["paper_soft_dsc"])


def test_sunnybrook_table_says_it_is_a_subset():
    t = pd.read_csv(RES / "sunnybrook_table.csv")
    assert set(t["target"]) == {"endo", "epi"} and set(t["n_folds"]) == {4}
    assert t["note"].str.contains("4 of 45 patients").all()


def test_published_card_is_the_best_strict_run_by_validation():
    "The card names the strict run with the highest validation score, and quotes its test numbers."
    card = json.loads((PAPER / "weights" / "model_card.json").read_text())
    runs = pd.read_csv(RES / "long" / "dsb2018_runs.csv")
    strict = runs[(runs["model"] == "resmamba_ulite") & (runs["protocol"] == "strict")]
    best = strict.sort_values("best_val_score", ascending=False).iloc[0]
    assert card["run"] == best["run"] and card["protocol"].endswith("/strict")
    assert 100 * card["test"]["soft_dsc"] == pytest.approx(best["soft_dsc"]) and card["epochs_run"] == best["epochs_run"]
