"""Oracle tests for medsegmamba.losses and medsegmamba.metrics: sklearn, medpy and MONAI as independent references,
the marginal-Dice factorisation, every loss trains, and BinarySegMetrics.sync() on a 2-process gloo group."""
import os, socket, warnings

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from medsegmamba.losses import create_loss, list_losses, margin_weight, soft_dice, _toy_batch
from medsegmamba.metrics import (BinarySegMetrics, MultiClassVolumeMetrics, binary_metrics, hd95, dice_hd95_percase,
                                 BINARY_METRICS)

medpy_binary = pytest.importorskip("medpy.metric.binary")
sk = pytest.importorskip("sklearn.metrics")

# ---------------------------------------------------------------------------------------------------------------
# masks: random blobs plus the edge cases (empty, full, single pixel, touching every border)

def _blobs(rng, shape, p=0.5, k=5):
    x = torch.from_numpy(rng.random(shape)).float()[None, None]
    x = F.avg_pool2d(x, k, 1, k // 2) if len(shape) == 2 else F.avg_pool3d(x, k, 1, k // 2)
    return (x[0, 0] > p).numpy()

def _edge_masks(h=16, w=16):
    empty = np.zeros((h, w), bool)
    full = np.ones((h, w), bool)
    single = empty.copy(); single[7, 9] = True
    corner = empty.copy(); corner[0, 0] = True
    border = empty.copy(); border[0, :] = border[:, -1] = True
    frame_in = empty.copy(); frame_in[:5, :4] = True
    return {"empty": empty, "full": full, "single": single, "corner": corner, "border": border, "frame_in": frame_in}

def _binary_set(seed=0, n_random=6, h=16, w=16):
    "(preds, gts) lists of bool (H, W) masks: random blobs and every pair of edge-case masks."
    rng = np.random.default_rng(seed)
    preds, gts = [], []
    for _ in range(n_random):
        preds.append(_blobs(rng, (h, w))); gts.append(_blobs(rng, (h, w)))
    edges = list(_edge_masks(h, w).values())
    for a in edges:
        for b in edges: preds.append(a); gts.append(b)
    return preds, gts

def _to_logits(preds, rng):
    "Logits whose sigmoid is >= 0.5 exactly where pred is True (random magnitudes)."
    mag = torch.from_numpy(rng.uniform(0.05, 6, (len(preds), 1, *preds[0].shape))).float()
    sign = torch.from_numpy(np.stack(preds)[:, None].astype(np.float32)) * 2 - 1
    return sign * mag

# ---------------------------------------------------------------------------------------------------------------
# binary metrics vs sklearn

def _sk_ratios(tn, fp, fn, tp):
    d = lambda a, b: a / b if b else 0.0
    return {"dsc": d(2 * tp, 2 * tp + fp + fn), "iou": d(tp, tp + fp + fn), "accuracy": d(tp + tn, tp + tn + fp + fn),
            "sensitivity": d(tp, tp + fn), "specificity": d(tn, tn + fp), "precision": d(tp, tp + fp), "f1": d(2 * tp, 2 * tp + fp + fn)}

def test_pooled_matches_sklearn_confusion_matrix():
    rng = np.random.default_rng(1)
    preds, gts = _binary_set(1)
    logits = _to_logits(preds, rng)
    target = torch.from_numpy(np.stack(gts)[:, None].astype(np.float32))
    m = BinarySegMetrics(empty="zero")
    for i in range(0, len(preds), 7): m.update(logits[i:i + 7], target[i:i + 7])  # several batches
    out = m.compute()
    # VM-UNet engine.py: flatten all test pixels, pred >= 0.5 on probabilities, GT >= 0.5, sklearn confusion matrix
    probs = torch.sigmoid(logits).numpy().reshape(-1)
    cm = sk.confusion_matrix(np.where(target.numpy().reshape(-1) >= 0.5, 1, 0), np.where(probs >= 0.5, 1, 0), labels=[0, 1])
    tn, fp, fn, tp = (int(v) for v in cm.ravel())
    ref = _sk_ratios(tn, fp, fn, tp)
    for k in BINARY_METRICS: assert abs(out[f"pooled/{k}"] - ref[k]) < 1e-6, k
    assert (out["pooled/tp"], out["pooled/fp"], out["pooled/fn"], out["pooled/tn"]) == (tp, fp, fn, tn)

@pytest.mark.parametrize("empty", ["one_if_both_empty", "zero", "exclude"])
def test_per_image_matches_sklearn(empty):
    rng = np.random.default_rng(2)
    preds, gts = _binary_set(2)
    logits = _to_logits(preds, rng)
    target = torch.from_numpy(np.stack(gts)[:, None].astype(np.float32))
    m = BinarySegMetrics(empty=empty).update(logits, target, ids=list(range(len(preds))))
    rows = m.per_image()
    refs, kept = {k: [] for k in BINARY_METRICS}, 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i, (p, g) in enumerate(zip(preds, gts)):
            yt, yp = g.reshape(-1).astype(int), p.reshape(-1).astype(int)
            ref = {"dsc": sk.f1_score(yt, yp, zero_division=0), "iou": sk.jaccard_score(yt, yp, zero_division=0),
                   "accuracy": sk.accuracy_score(yt, yp), "sensitivity": sk.recall_score(yt, yp, zero_division=0),
                   "specificity": sk.recall_score(yt, yp, pos_label=0, zero_division=0),
                   "precision": sk.precision_score(yt, yp, zero_division=0), "f1": sk.f1_score(yt, yp, zero_division=0)}
            if empty != "zero" and (yt == yp).all():  # documented rule: a 0/0 on a perfect image scores 1
                ref = {k: 1.0 for k in ref}
            for k in BINARY_METRICS: assert abs(rows[i][k] - ref[k]) < 1e-6, (i, k, rows[i][k], ref[k])
            if empty != "exclude" or g.any():
                kept += 1
                for k in BINARY_METRICS: refs[k].append(ref[k])
    out = m.compute()
    for k in BINARY_METRICS: assert abs(out[f"per_image/{k}"] - np.mean(refs[k])) < 1e-6, k
    assert out["per_image/n_excluded"] == len(preds) - kept
    assert not any(np.isnan(v) for v in out.values())

def test_per_image_dice_matches_monai():
    compute_dice = pytest.importorskip("monai.metrics").compute_dice
    rng = np.random.default_rng(3)
    preds, gts = _binary_set(3)
    p = torch.from_numpy(np.stack(preds)[:, None].astype(np.float32))
    g = torch.from_numpy(np.stack(gts)[:, None].astype(np.float32))
    ref = compute_dice(p, g, include_background=True, ignore_empty=False)[:, 0]  # MONAI: both empty -> 1
    rows = BinarySegMetrics().update(_to_logits(preds, rng), g).per_image()
    np.testing.assert_allclose([r["dsc"] for r in rows], ref.numpy(), atol=1e-6)

def test_soft_dice_is_resmamba_formula():
    rng = np.random.default_rng(4)
    logits = torch.from_numpy(rng.normal(0, 3, (5, 1, 12, 12))).float()
    target = torch.from_numpy(_blobs(rng, (5 * 12, 12)).reshape(5, 1, 12, 12).astype(np.float32))
    target[0] = 1.0
    out = BinarySegMetrics().update(logits, target).per_image()
    for i in range(5):  # ResMamba-ULite metrics/metrics.py dice_score with batch 1, smooth 0, in float64 numpy
        pr = 1 / (1 + np.exp(-logits[i].double().numpy().ravel())); gt = target[i].numpy().ravel().astype(np.float64)
        assert abs(out[i]["soft_dsc"] - 2 * (pr * gt).sum() / (pr.sum() + gt.sum())) < 1e-6

def test_threshold_on_logit_is_resmamba_val_quirk():
    rng = np.random.default_rng(5)
    logits = torch.from_numpy(rng.normal(0, 1, (4, 1, 10, 10))).float()
    target = (torch.rand(4, 1, 10, 10, generator=torch.Generator().manual_seed(0)) > 0.5).float()
    out = binary_metrics(logits, target, threshold_on="logit", empty="zero")
    # ResMamba-ULite config/val.py: y_pred_bin = (logits > 0.5); per image P, R, F with 1e-8; batch mean
    yb = (logits > 0.5).float()
    tp = (yb * target).sum((1, 2, 3)); fp = ((yb == 1) & (target == 0)).sum((1, 2, 3)); fn = ((yb == 0) & (target == 1)).sum((1, 2, 3))
    prec, rec = tp / (tp + fp + 1e-8), tp / (tp + fn + 1e-8)
    f = 2 * prec * rec / (prec + rec + 1e-8)
    assert abs(out["per_image/precision"] - prec.mean().item()) < 1e-6
    assert abs(out["per_image/sensitivity"] - rec.mean().item()) < 1e-6
    assert abs(out["per_image/f1"] - f.mean().item()) < 1e-6

def test_empty_masks_never_nan():
    z = torch.full((3, 1, 8, 8), -3.0)
    for empty in ("one_if_both_empty", "zero", "exclude"):
        out = binary_metrics(z, torch.zeros(3, 1, 8, 8), empty=empty, hd95=True)
        assert not any(np.isnan(v) for v in out.values()), empty
    assert binary_metrics(z, torch.zeros(3, 1, 8, 8))["per_image/dsc"] == 1.0
    assert binary_metrics(z, torch.zeros(3, 1, 8, 8), empty="exclude")["per_image/n_excluded"] == 3.0

# ---------------------------------------------------------------------------------------------------------------
# HD95 vs medpy (same definition, so agreement to 1e-6)

def _hd_cases():
    rng = np.random.default_rng(6)
    e = _edge_masks(20, 24)
    cases = [(_blobs(rng, (20, 24)), _blobs(rng, (20, 24)), None) for _ in range(4)]
    cases += [(_blobs(rng, (20, 24), 0.55), _blobs(rng, (20, 24), 0.45), (0.7, 1.3))]
    cases += [(e[a], e[b], None) for a in ("full", "single", "corner", "border", "frame_in") for b in ("full", "single", "border", "frame_in")]
    cases += [(_blobs(rng, (10, 14, 12)), _blobs(rng, (10, 14, 12)), None) for _ in range(3)]
    cases += [(_blobs(rng, (10, 14, 12)), _blobs(rng, (10, 14, 12)), (2.5, 0.8, 0.8))]
    v = np.zeros((6, 7, 8), bool); v[0, 0, 0] = True; w = np.zeros_like(v); w[5, 6, 7] = True
    cases += [(v, w, None), (np.ones_like(v), w, (3.0, 1.0, 1.0))]
    return [(p, g, s) for p, g, s in cases if p.any() and g.any()]

@pytest.mark.parametrize("i", range(len(_hd_cases())))
def test_hd95_matches_medpy(i):
    p, g, s = _hd_cases()[i]
    ref = medpy_binary.hd95(p, g, voxelspacing=s)
    assert abs(hd95(p, g, spacing=s) - ref) < 1e-6

def test_percase_rule_matches_vmunet_with_medpy():
    rng = np.random.default_rng(7)
    def vmunet(pred, gt):  # VM-UNet utils.py calculate_metric_percase, with medpy as the metric library
        pred, gt = pred.astype(np.uint8), gt.astype(np.uint8)
        if pred.sum() > 0 and gt.sum() > 0: return medpy_binary.dc(pred, gt), medpy_binary.hd95(pred, gt)
        if pred.sum() > 0 and gt.sum() == 0: return 1, 0
        return 0, 0
    z = np.zeros((6, 10, 10), bool)
    pairs = [(_blobs(rng, (6, 10, 10)), _blobs(rng, (6, 10, 10))) for _ in range(3)] + [(z, z), (z | True, z), (z, z | True)]
    for p, g in pairs: np.testing.assert_allclose(dice_hd95_percase(p, g), vmunet(p, g), atol=1e-6)

def test_multiclass_volume_metrics_matches_loop():
    rng = np.random.default_rng(8)
    C, cases = 4, []
    for _ in range(3):
        lab = rng.integers(0, C, (6, 12, 12)); lab = np.where(_blobs(rng, (6, 12, 12)), lab, 0)
        pred = np.where(rng.random(lab.shape) < 0.8, lab, rng.integers(0, C, lab.shape))
        cases.append((pred, lab))
    cases.append((np.zeros((6, 12, 12), int), np.zeros((6, 12, 12), int)))  # every class empty in both
    m = MultiClassVolumeMetrics(C, spacing=(2.0, 1.0, 1.0))
    ref = np.zeros((len(cases), C - 1, 2))
    for k, (pred, lab) in enumerate(cases):
        m.update(pred, lab)
        for c in range(1, C):
            p, g = pred == c, lab == c
            ref[k, c - 1] = ((medpy_binary.dc(p, g), medpy_binary.hd95(p, g, voxelspacing=(2.0, 1.0, 1.0))) if p.any() and g.any()
                             else (1, 0) if p.any() else (0, 0))
    out = m.compute()
    for c in range(1, C):
        assert abs(out[f"per_volume/dsc/{c}"] - ref[:, c - 1, 0].mean()) < 1e-6
        assert abs(out[f"per_volume/hd95/{c}"] - ref[:, c - 1, 1].mean()) < 1e-6
    assert abs(out["per_volume/dsc"] - ref[..., 0].mean()) < 1e-6

# ---------------------------------------------------------------------------------------------------------------
# losses

def test_marginal_dice_factorises():
    for seed in range(3):
        g = torch.Generator().manual_seed(seed)
        lg = torch.randn(3, 1, 24, 32, generator=g) * 2
        tg = (F.avg_pool2d(torch.rand(3, 1, 24, 32, generator=g), 7, 1, 3) > 0.5).float()
        md = create_loss("marginal_dice")(lg, tg)
        expected = margin_weight(tg).mean() * (1 - soft_dice(torch.sigmoid(lg), tg, 1e-3))
        assert abs(md.item() - expected.item()) < 1e-6
        # an independent restatement of ResMamba-ULite proposed_loss.py (box dilation/erosion by max/min pooling)
        dil = F.max_pool2d(tg, 7, 1, 3); ero = -F.max_pool2d(-F.pad(tg, (3, 3, 3, 3)), 7, 1, 0)
        w = 2 * (dil - ero) + 3 * ero + 5 * (1 - dil)
        pr = torch.sigmoid(lg)
        dice = (2 * (pr * tg).sum() + 1e-3) / (pr.sum() + tg.sum() + 1e-3)
        assert abs(md.item() - (w * (1 - dice)).mean().item()) < 1e-6
        assert abs(create_loss("marginal_dice_pixel")(lg, tg).item() - expected.item()) > 1e-3

@pytest.mark.parametrize("name", list_losses())
def test_loss_is_differentiable_and_decreases(name):
    x0, t = _toy_batch(name in {"ce_dice", "dice_ce", "ce"})
    x = nn.Parameter(x0.clone()); opt = torch.optim.Adam([x], lr=0.1); loss_fn = create_loss(name)
    vals = []
    for _ in range(8):
        opt.zero_grad(); l = loss_fn(x, t); l.backward(); opt.step(); vals.append(l.item())
        assert torch.isfinite(x.grad).all()
    assert vals[-1] < vals[0] - 1e-4, vals

@pytest.mark.parametrize("name", list_losses())
def test_loss_shape_mismatch_names_both_shapes(name):
    multi = name in {"ce_dice", "dice_ce", "ce"}
    x, t = _toy_batch(multi)
    bad = t[..., :8] if multi else t[:, :, :8]
    with pytest.raises(ValueError) as e: create_loss(name)(x, bad)
    assert str(tuple(bad.shape)) in str(e.value) and str(tuple(x.shape)) in str(e.value)

def test_bce_dice_equals_vmunet_probability_form():
    g = torch.Generator().manual_seed(3)
    lg = torch.randn(4, 1, 16, 16, generator=g); tg = torch.rand(4, 1, 16, 16, generator=g)  # soft targets
    pr = torch.sigmoid(lg).view(4, -1); t = tg.view(4, -1)
    ref = nn.BCELoss()(pr, t) + 1 - ((2 * (pr * t).sum(1) + 1) / (pr.sum(1) + t.sum(1) + 1)).sum() / 4
    assert abs(create_loss("bce_dice")(lg, tg).item() - ref.item()) < 1e-5

def test_multiclass_dice_terms_match_monai():
    DiceLoss = pytest.importorskip("monai.losses").DiceLoss
    g = torch.Generator().manual_seed(4)
    lg = torch.randn(2, 4, 10, 10, generator=g); lab = torch.randint(0, 4, (2, 10, 10), generator=g)
    ce = F.cross_entropy(lg, lab)
    for batch in (False, True):  # nnU-Net MemoryEfficientSoftDiceLoss = -(1 - MONAI Dice loss) with the same smoothing
        ref = DiceLoss(include_background=False, to_onehot_y=True, softmax=True, smooth_nr=1e-5, smooth_dr=1e-5, batch=batch)(lg, lab[:, None])
        ours = create_loss("dice_ce", batch_dice=batch)(lg, lab)
        assert abs(ours.item() - (ce - (1 - ref)).item()) < 1e-5
    ref = DiceLoss(include_background=True, to_onehot_y=True, softmax=True, squared_pred=True, smooth_nr=1e-5, smooth_dr=1e-5, batch=True)(lg, lab[:, None])
    assert abs(create_loss("ce_dice", num_classes=4)(lg, lab).item() - (ce + ref).item()) < 1e-5
    ref = DiceLoss(include_background=True, to_onehot_y=True, softmax=True, smooth_nr=1e-5, smooth_dr=1e-5)(lg, lab[:, None])
    assert abs(create_loss("dice")(lg, lab).item() - ref.item()) < 1e-5

# ---------------------------------------------------------------------------------------------------------------
# torch.distributed: two gloo ranks see disjoint halves (plus a padded duplicate) and agree with one process

def _free_port():
    with socket.socket() as s: s.bind(("127.0.0.1", 0)); return s.getsockname()[1]

def _ddp_worker(rank, world, port, logits, target, ids, q):
    import torch.distributed as dist
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        idx = list(range(rank, len(ids), world)) + ([0] if rank == 1 else [])  # rank 1 repeats image 0 (sampler padding)
        m = BinarySegMetrics(hd95=True)
        for i in idx: m.update(logits[i:i + 1], target[i:i + 1], ids=[ids[i]])
        m2 = BinarySegMetrics()  # default ids: unique per rank, never deduplicated
        for i in idx: m2.update(logits[i:i + 1], target[i:i + 1])
        mv = MultiClassVolumeMetrics(3)
        mv.update((target[rank, 0] > 0.5).long() + (logits[rank, 0] > 1).long(), (target[rank, 0] > 0.5).long() * 2)
        q.put((rank, m.sync().compute(), sorted(d["id"] for d in m.per_image()), mv.sync().compute(), m2.sync().compute()["n_images"]))
    finally:
        dist.destroy_process_group()

def test_sync_on_gloo_matches_single_process():
    mp = torch.multiprocessing.get_context("spawn")
    g = torch.Generator().manual_seed(5)
    logits = torch.randn(5, 1, 12, 12, generator=g) * 3
    target = (torch.rand(5, 1, 12, 12, generator=g) > 0.6).float()
    ids = [f"img{i}" for i in range(5)]
    q, port = mp.Queue(), _free_port()
    procs = [mp.Process(target=_ddp_worker, args=(r, 2, port, logits, target, ids, q)) for r in range(2)]
    for p in procs: p.start()
    res = [q.get(timeout=120) for _ in procs]
    for p in procs: p.join(timeout=60); assert p.exitcode == 0
    single = BinarySegMetrics(hd95=True).update(logits, target, ids=ids).compute()
    mv = MultiClassVolumeMetrics(3)
    for r in range(2): mv.update((target[r, 0] > 0.5).long() + (logits[r, 0] > 1).long(), (target[r, 0] > 0.5).long() * 2)
    for rank, out, got_ids, vout, n_auto in res:
        assert got_ids == sorted(ids) and n_auto == 6, rank
        for k, v in single.items(): assert abs(out[k] - v) < 1e-9, (rank, k)
        for k, v in mv.compute().items(): assert abs(vout[k] - v) < 1e-9, (rank, k)
