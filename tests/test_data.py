"""Dataset readers, splits, caches and downloads: real files in ../shared/data (skipped when absent) and fixtures
written at run time in every other supported layout (png, tif, DICOM, npz, h5, nii.gz)."""
import json, sys, types, warnings, zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from medsegmamba import readers as R
from medsegmamba import data as D

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
need_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} not present")


# ---------------------------------------------------------------- real data
@need_shared
def test_dsb2018_all_559_ids_union_nonempty():
    recs = R.scan_dsb2018(SHARED / "dsb2018")
    assert len(recs) == 559
    assert len({r.id for r in recs}) == 559 and sum(len(r.mask) for r in recs) == 24818  # SOURCE.md counts
    sizes = {}
    for r in recs:
        img, m, meta = R.load_record(r)
        assert img.shape[2] == 3 and img.dtype == np.uint8 and m.shape == img.shape[:2]
        assert m.sum() > 0, r.id
        sizes[meta["orig_size"]] = sizes.get(meta["orig_size"], 0) + 1
    assert sizes[(256, 256)] == 278 and sizes[(256, 320)] == 93 and sizes[(520, 696)] == 80  # SOURCE.md (HxW)


@need_shared
def test_dsb2018_union_equals_oracle():
    r = R.scan_dsb2018(SHARED / "dsb2018")[0]
    _, m, _ = R.load_record(r)
    from PIL import Image  # independent reader
    oracle = np.zeros_like(m, bool)
    for p in r.mask: oracle |= np.asarray(Image.open(p)) > 0
    assert (m.astype(bool) == oracle).all()


@need_shared
@pytest.mark.parametrize("target,n", [("endo", 74), ("epi", 37)])
def test_sunnybrook_subset_every_contour(target, n):
    recs = R.scan_sunnybrook(SHARED / "sunnybrook_subset", target)
    assert len(recs) == n  # SOURCE.md: 74 i-contours, 37 o-contours
    assert {r.group for r in recs} == {"SCD0000101", "SCD0000201", "SCD0000301", "SCD0000401"}
    for r in recs:
        img, m, meta = R.load_record(r)
        assert img.shape == (256, 256, 1) and m.sum() > 0 and meta["spacing"] is not None


@need_shared
def test_sunnybrook_epi_contains_endo():
    endo = {r.id: r for r in R.scan_sunnybrook(SHARED / "sunnybrook_subset", "endo")}
    for r in R.scan_sunnybrook(SHARED / "sunnybrook_subset", "epi"):
        if r.id in endo:
            e, o = R.load_record(endo[r.id])[1], R.load_record(r)[1]
            assert o.sum() > e.sum() and (e & ~o.astype(bool)).sum() <= 0.02 * e.sum()


@need_shared
def test_kvasir_sample():
    recs = R.scan_kvasir_seg(SHARED / "kvasir_seg_sample")
    assert len(recs) == 4
    for r in recs:
        img, m, _ = R.load_record(r)
        assert img.shape[:2] == m.shape and 0.05 < m.mean() < 0.5


@need_shared
def test_load_dataset_dsb2018_protocol_split(tmp_path):
    sf = tmp_path / "dsb.json"
    tr = D.load_dataset("dsb2018", SHARED / "dsb2018", "train", "resmamba_ulite/dsb2018", split_file=sf, img_size=64)
    te = D.load_dataset("dsb2018", SHARED / "dsb2018", "test", "resmamba_ulite/dsb2018", split_file=sf, img_size=64)
    assert (len(tr), len(te)) == (448, 111) and not set(tr.ids) & set(te.ids)  # int(0.2*559) = 111
    x, y = te[0]
    assert x.shape == (3, 64, 64) and y.shape == (1, 64, 64) and not tr.is_demo
    assert te.meta(0)["id"] == te.ids[0] and Path(te.meta(0)["source"]).is_file()


@need_shared
def test_committed_split_files_match_data():
    for name in ("dsb2018", "dsb2018_strict"):
        f = Path(__file__).resolve().parents[1] / "papers" / "resmamba_ulite" / "splits" / f"{name}.json"
        if not f.is_file(): pytest.skip(f"{f} not written yet")
        d = json.loads(f.read_text())
        ids = [r.id for r in R.scan_dsb2018(SHARED / "dsb2018")]
        assert d["n_ids"] == 559 and d["ids_sha1"] == D._ids_sha1(ids)
        D.check_split(d["folds"][0])


# ---------------------------------------------------------------- fixtures in every layout
def _png(p, a):
    p.parent.mkdir(parents=True, exist_ok=True)
    a = a[..., ::-1] if a.ndim == 3 else a
    assert cv2.imwrite(str(p), np.ascontiguousarray(a))


def _disk(h=20, w=24):
    yy, xx = np.mgrid[:h, :w]
    return (((yy - h / 2) ** 2 + (xx - w / 2) ** 2) < (min(h, w) / 3) ** 2).astype(np.uint8)


def _img(h=20, w=24, v=0):
    return (np.random.RandomState(v).rand(h, w, 3) * 255).astype(np.uint8)


def test_isic_official_and_presplit(tmp_path):
    off = tmp_path / "off"
    for i in range(5):
        _png(off / "ISIC2018_Task1-2_Training_Input" / f"ISIC_{i:07d}.jpg", _img(v=i))
        _png(off / "ISIC2018_Task1_Training_GroundTruth" / f"ISIC_{i:07d}_segmentation.png", _disk() * 255)
        _png(off / "ISIC2018_Task1-2_Training_Input" / f"ISIC_{i:07d}_superpixels.png", _img(v=9))  # 2017-style extra, skipped
    recs = R.scan_isic(off)
    assert [r.id for r in recs] == [f"ISIC_{i:07d}" for i in range(5)]
    _, m, _ = R.load_record(recs[0])
    assert (m == _disk()).all()
    pre = tmp_path / "pre"
    for s, n in (("train", 7), ("val", 3)):
        for i in range(n):
            _png(pre / s / "images" / f"{s}{i}.png", _img(v=i)); _png(pre / s / "masks" / f"{s}{i}.png", _disk() * 255)
    ds = D.load_dataset("isic2018", pre, "test", "vm_unet/isic18", split_file=tmp_path / "s.json", img_size=32)
    assert sorted(ds.ids) == [f"val{i}" for i in range(3)]  # VM-UNet's val folder is the test set
    x, _ = ds[0]
    assert x.min() == 0 and abs(float(x.max()) - 255) < 1e-3  # min-max to [0, 255]
    st = D.load_dataset("isic2018", pre, "val", "vm_unet/isic18/strict", split_file=tmp_path / "s2.json", img_size=32)
    assert len(st) == 1  # round(0.142857 * 7)


def test_cvc_tif_and_png(tmp_path):
    for sub, ext in (("tif", ".tif"), ("png", ".png")):
        base = tmp_path / sub
        for i in range(1, 4):
            _png(base / "Original" / f"{i}{ext}", _img(v=i)); _png(base / "Ground Truth" / f"{i}{ext}", _disk() * 255)
        recs = R.scan_cvc_clinicdb(base)
        assert [r.id for r in recs] == ["1", "2", "3"]
        img, m, _ = R.load_record(recs[2])
        assert (img == _img(v=3)).all() and (m == _disk()).all()  # tif and png are lossless


def test_pranet_layout(tmp_path):
    for i in range(4):
        _png(tmp_path / "TrainDataset" / "images" / f"t{i}.png", _img(v=i)); _png(tmp_path / "TrainDataset" / "masks" / f"t{i}.png", _disk() * 255)
    for s in ("CVC-300", "Kvasir"):
        for i in range(2):
            _png(tmp_path / "TestDataset" / s / "images" / f"{i}.png", _img(v=i)); _png(tmp_path / "TestDataset" / s / "masks" / f"{i}.png", _disk() * 255)
    te = D.load_dataset("polyp_pranet", tmp_path, "test", split_file=tmp_path / "p.json", img_size=32)
    assert sorted(te.ids) == ["CVC-300/0", "CVC-300/1", "Kvasir/0", "Kvasir/1"]


def test_montgomery_shenzhen_kaggle_layout(tmp_path):
    ls = tmp_path / "Lung Segmentation"
    for n in ("MCUCXR_0001_0", "MCUCXR_0002_1"):
        _png(ls / "CXR_png" / f"{n}.png", _img(v=1)); _png(ls / "masks" / f"{n}.png", _disk() * 255)
    _png(ls / "CXR_png" / "CHNCXR_0001_0.png", _img(v=2)); _png(ls / "masks" / "CHNCXR_0001_0_mask.png", _disk() * 255)
    _png(ls / "CXR_png" / "CHNCXR_0002_0.png", _img(v=3))  # Shenzhen image without a mask
    with pytest.warns(UserWarning, match="1 image\\(s\\) have no mask"):
        recs = R.scan_montgomery_shenzhen(tmp_path)
    assert [r.id for r in recs] == ["CHNCXR_0001_0", "MCUCXR_0001_0", "MCUCXR_0002_1"]
    assert [r.group for r in recs] == ["CHNCXR", "MCUCXR", "MCUCXR"]
    with pytest.warns(UserWarning):
        ds = D.load_dataset("montgomery_shenzhen", tmp_path, "all", split_file=False, img_size=32)
    x, y = ds[0]
    assert y.dtype == torch.int64 and y.shape == (32, 32) and abs(float(x.mean())) < 1e-4  # 2 classes, z-score


def _write_dicom(path, arr, spacing=(1.5, 1.5)):
    import pydicom
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid, MRImageStorage
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID = MRImageStorage, generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = MRImageStorage, meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.Rows, ds.Columns = "MR", arr.shape[0], arr.shape[1]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 0
    ds.PixelSpacing = [str(s) for s in spacing]
    ds.PixelData = arr.astype(np.uint16).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(str(path), enforce_file_format=True)


def _contour(path, cx, cy, r):
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, np.stack([cx + r * np.cos(t), cy + r * np.sin(t)], 1), fmt="%.2f")


def test_sunnybrook_final_data_and_original_layouts(tmp_path):
    fd = tmp_path / "final_data"
    fd.mkdir()
    (fd / "link.csv").write_text("patient_id,original_id\nSCD0000101,SC-HF-I-1\nSCD0000201,SC-HF-I-2\n")
    for pid, oid in (("SCD0000101", "SC-HF-I-1"), ("SCD0000201", "SC-HF-I-2")):
        for num in (20, 48):
            _write_dicom(fd / "dicoms" / pid / f"{num}.dcm", np.arange(32 * 32).reshape(32, 32) % 700)
            _contour(fd / "contourfiles" / oid / "i-contours" / f"IM-0001-{num:04d}-icontour-manual.txt", 16, 16, 5)
            if num == 48: _contour(fd / "contourfiles" / oid / "o-contours" / f"IM-0001-{num:04d}-ocontour-manual.txt", 16, 16, 8)
    endo, epi = R.scan_sunnybrook(tmp_path, "endo"), R.scan_sunnybrook(tmp_path, "epi")
    assert (len(endo), len(epi)) == (4, 2) and endo[1].id == "SCD0000101_0048"
    img, m, meta = R.load_record(endo[0])
    assert img.shape == (32, 32, 1) and meta["spacing"] == (1.5, 1.5)
    assert abs(int(m.sum()) - np.pi * 25) < 12  # disk of radius 5
    assert int(R.load_record(epi[0])[1].sum()) > int(m.sum())
    # original SCD layout: contours under the case's expert folder, images IM-0001-NNNN.dcm in the image folder
    org = tmp_path / "orig"
    _write_dicom(org / "SCD_DeidentifiedImages" / "SC-HF-I-01" / "IM-0001-0048.dcm", np.ones((32, 32)) * 50)
    _contour(org / "SCD_ManualContours" / "SC-HF-I-01" / "contours-manual" / "IRCCI-expert" / "IM-0001-0048-icontour-manual.txt", 10, 12, 4)
    recs = R.scan_sunnybrook(org, "endo")
    assert [r.id for r in recs] == ["HF-I-1_IM-0001-0048"]
    ds = D.load_dataset("sunnybrook", tmp_path, "all", "resmamba_ulite/sunnybrook_endo", split_file=False, img_size=32)
    x, y = ds[0]
    assert x.shape == (3, 32, 32) and float(x.max()) == 1.0  # gray repeated to 3 channels, min-max to [0, 1]


def test_sunnybrook_patientwise_folds(tmp_path):
    fd = tmp_path / "final_data"
    fd.mkdir()
    rows = ["patient_id,original_id"]
    for p in range(5):
        pid, oid = f"SCD{p:07d}", f"SC-HF-I-{p + 1}"
        rows.append(f"{pid},{oid}")
        for num in (1, 2, 3):
            _write_dicom(fd / "dicoms" / pid / f"{num}.dcm", np.ones((16, 16)) * num)
            _contour(fd / "contourfiles" / oid / "i-contours" / f"IM-0001-{num:04d}-icontour-manual.txt", 8, 8, 3)
    (fd / "link.csv").write_text("\n".join(rows) + "\n")
    seen = set()
    for k in range(5):
        kw = dict(protocol="resmamba_ulite/sunnybrook_endo", split_file=tmp_path / "f.json", img_size=16, fold=k)
        tr, te = D.load_dataset("sunnybrook", tmp_path, "train", **kw), D.load_dataset("sunnybrook", tmp_path, "test", **kw)
        pt = {i.split("_")[0] for i in te.ids}
        assert len(pt) == 1 and not pt & {i.split("_")[0] for i in tr.ids} and len(tr) == 12
        seen |= pt
    assert len(seen) == 5


def test_synapse_npz_h5(tmp_path):
    import h5py
    base = tmp_path / "Synapse"
    (base / "train_npz").mkdir(parents=True); (base / "test_vol_h5").mkdir(); (base / "lists" / "lists_Synapse").mkdir(parents=True)
    names = []
    for c in (5, 6, 7):
        for s in range(2):
            n = f"case{c:04d}_slice{s:03d}"; names.append(n)
            lab = np.zeros((24, 24), np.float32); lab[4:10, 4:10] = c + s
            np.savez(base / "train_npz" / f"{n}.npz", image=np.full((24, 24), 0.5, np.float32), label=lab)
    (base / "lists" / "lists_Synapse" / "train.txt").write_text("\n".join(names) + "\n")
    with h5py.File(base / "test_vol_h5" / "case0001.npy.h5", "w") as f:
        f["image"] = np.random.RandomState(0).rand(3, 24, 24).astype(np.float32)
        f["label"] = np.tile(np.arange(24) % 9, (3, 24, 1)).astype(np.float32)
    (base / "lists" / "lists_Synapse" / "test_vol.txt").write_text("case0001\n")
    tr = D.load_dataset("synapse", tmp_path, "train", "vm_unet/synapse", split_file=tmp_path / "s.json", augment=False)
    assert len(tr) == 6 and tr.num_classes == 9
    x, y = tr[0]
    assert x.shape == (1, 224, 224) and y.dtype == torch.int64 and int(y.max()) == 5
    te = D.load_dataset("synapse", tmp_path, "test", "vm_unet/synapse", split_file=tmp_path / "s.json")
    x, y = te[0]
    assert te.is_volume and x.shape == (1, 3, 24, 24) and y.shape == (3, 24, 24) and int(y.max()) == 8
    st = D.load_dataset("synapse", tmp_path, "val", "vm_unet/synapse/strict", split_file=tmp_path / "s2.json", augment=False)
    assert len({i.split("_")[0] for i in st.ids}) == 1  # one of 3 training cases (10%, at least 1) held out by case


def test_lits_nifti_both_layouts(tmp_path):
    import nibabel as nib
    rs = np.random.RandomState(0)
    def vol(p, a, zooms=(0.8, 0.8, 2.5)):
        im = nib.Nifti1Image(a, np.diag(list(zooms) + [1])); im.header.set_zooms(zooms); p.parent.mkdir(parents=True, exist_ok=True); nib.save(im, str(p))
    raw = tmp_path / "raw"
    for i in range(10):
        img = rs.normal(0, 100, (20, 18, 12)).astype(np.float32)
        lab = np.zeros((20, 18, 12), np.uint8); lab[5:15, 4:14, 3:9] = 1; lab[8:11, 7:10, 5:7] = 2
        vol(raw / "imagesTr" / f"Liver_{i:04d}_0000.nii.gz", img); vol(raw / "labelsTr" / f"Liver_{i:04d}.nii.gz", lab)
        if i < 2: vol(tmp_path / "orig" / f"part{i}" / f"volume-{i}.nii", img); vol(tmp_path / "orig" / "seg" / f"segmentation-{i}.nii", lab)
    img, lab, meta = R.load_record(R.scan_lits(raw)[0])
    assert img.shape == (12, 18, 20) and np.allclose(meta["spacing"], (2.5, 0.8, 0.8)) and set(np.unique(lab)) == {0, 1, 2}
    assert [r.id for r in R.scan_lits(tmp_path / "orig")] == ["volume-0", "volume-1"]
    tr = D.load_dataset("lits", raw, "train", "lightm_unet/lits", split_file=tmp_path / "l.json", img_size=(8, 8, 8))
    assert len(tr) == 7 and tr.ct is not None  # 7:1:2 of 10 volumes
    x, y = tr[0]
    assert x.shape == (1, 8, 8, 8) and y.shape == (8, 8, 8) and y.dtype == torch.int64
    te = D.load_dataset("lits", raw, "test", "lightm_unet/lits", split_file=tmp_path / "l.json", img_size=(8, 8, 8))
    assert len(te) == 2 and te.is_volume and te[0][0].shape == (1, 12, 18, 20)


# ---------------------------------------------------------------- cache
def test_cache_roundtrip_and_loads_without_root(tmp_path):
    root = tmp_path / "stage1_train"
    for i in range(6):
        d = root / f"id{i}"
        _png(d / "images" / f"id{i}.png", _img(30, 40, i))
        a = np.zeros((30, 40), np.uint8); a[2:8, 3:9] = 255; _png(d / "masks" / "n0.png", a)
        b = np.zeros((30, 40), np.uint8); b[20:25, 30:36] = 255; _png(d / "masks" / "n1.png", b)
    out = tmp_path / "c" / "dsb2018_32.npz"
    ds = D.load_dataset("dsb2018", root, "all", cache=out, img_size=32, split_file=tmp_path / "s.json")
    assert out.is_file() and ds.images is not None
    ref = D.load_dataset("dsb2018", root, "all", img_size=32, split_file=tmp_path / "s.json")  # from the files
    for i in range(6):
        assert torch.equal(ds[i][0], ref[i][0]) and torch.equal(ds[i][1], ref[i][1])
    import shutil; shutil.rmtree(root)
    again = D.load_dataset("dsb2018", None, "train", cache=out, img_size=32, split_file=tmp_path / "s.json")
    assert not again.is_demo and len(again) == 5 and again.meta(0)["orig_size"] == (30, 40)  # 6 - int(0.2*6)
    with pytest.raises(ValueError, match="pass img_size=\\(32, 32\\)"):
        D.load_dataset("dsb2018", None, "train", cache=out, img_size=64)


# ---------------------------------------------------------------- downloads (kaggle mocked)
class FakeApi:
    def __init__(self): self.calls = []
    def authenticate(self): pass
    def competition_download_file(self, comp, fname, path, quiet=False):
        self.calls.append(("competition", comp, fname))
        inner = Path(path) / "inner.zip"
        with zipfile.ZipFile(inner, "w") as z:
            z.writestr("abc/images/abc.png", cv2.imencode(".png", _img(8, 8))[1].tobytes())
            m = np.zeros((8, 8), np.uint8); m[2:4, 2:4] = 255
            z.writestr("abc/masks/m.png", cv2.imencode(".png", m)[1].tobytes())
        with zipfile.ZipFile(Path(path) / "data-science-bowl-2018.zip", "w") as z: z.write(inner, fname)
        inner.unlink()
    def dataset_download_files(self, slug, path, unzip=False, quiet=False): self.calls.append(("dataset", slug))


def test_download_kaggle_mocked(tmp_path, monkeypatch):
    api = FakeApi()
    monkeypatch.setattr(D, "_kaggle_api", lambda: api)
    monkeypatch.setenv("KAGGLE_USERNAME", "u"); monkeypatch.setenv("KAGGLE_KEY", "k")
    root = D.download("dsb2018", tmp_path / "dsb")
    assert api.calls == [("competition", "data-science-bowl-2018", "stage1_train.zip")]
    recs = R.scan_dsb2018(root)
    assert [r.id for r in recs] == ["abc"] and R.load_record(recs[0])[1].sum() == 4
    D.download("dsb2018", root)  # already there: no second download
    assert len(api.calls) == 1


def test_download_no_credentials(tmp_path, monkeypatch):
    for v in ("KAGGLE_USERNAME", "KAGGLE_KEY", "KAGGLE_API_TOKEN", "KAGGLE_CONFIG_DIR"): monkeypatch.delenv(v, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(D, "_kaggle_api", lambda: pytest.fail("must not reach the API without credentials"))
    with pytest.raises(PermissionError, match="kaggle.json") as e:
        D.download("montgomery_shenzhen", tmp_path / "ms")
    assert "KAGGLE_API_TOKEN" in str(e.value) and "access_token" in str(e.value)


def test_download_without_kaggle_source(tmp_path):
    with pytest.raises(RuntimeError, match="synapse.org"):
        D.download("synapse", tmp_path)


# ---------------------------------------------------------------- bad inputs
def test_bad_inputs(tmp_path):
    with pytest.raises(KeyError, match="dsb2018"): D.load_dataset("dsb2019")
    with pytest.raises(FileNotFoundError, match="nothere"): D.load_dataset("dsb2018", tmp_path / "nothere")
    with pytest.raises(KeyError, match="resmamba_ulite/dsb2018"): D.load_dataset("dsb2018", protocol="resmamba_ulite/dsb")
    # missing folder inside a layout
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="stage1_train"): R.scan_dsb2018(tmp_path / "empty")
    # empty dataset
    (tmp_path / "e" / "images").mkdir(parents=True); (tmp_path / "e" / "masks").mkdir()
    with pytest.raises(FileNotFoundError, match="no image/mask pairs"): R.scan_kvasir_seg(tmp_path / "e")
    # unreadable image
    base = tmp_path / "cvc"
    _png(base / "images" / "1.png", _img()); _png(base / "masks" / "1.png", _disk() * 255)
    (base / "images" / "2.png").write_bytes(b"garbage"); _png(base / "masks" / "2.png", _disk() * 255)
    recs = R.scan_cvc_clinicdb(base)
    with pytest.raises(ValueError, match="2.png.*cannot be read"): R.load_record(recs[1])
    # size mismatch
    _png(base / "images" / "2.png", _img(10, 10))
    with pytest.raises(ValueError, match="is 10x10 \\(HxW\\) but its mask"): R.load_record(recs[1])
    # non-binary mask
    soft = _disk() * 255; soft[0, 0] = 77; _png(base / "images" / "2.png", _img()); _png(base / "masks" / "2.png", soft)
    with pytest.raises(ValueError, match="expected a binary mask.*mask_threshold"): R.load_record(recs[1])
    assert R.load_record(recs[1], mask_threshold=127)[1].sum() == _disk().sum()
    # unpaired mask
    _png(base / "masks" / "3.png", _disk() * 255)
    with pytest.raises(FileNotFoundError, match="have no image"): R.scan_cvc_clinicdb(base)


def test_demo_fallback_warns():
    with pytest.warns(UserWarning, match="bundled demo set"):
        ds = D.load_dataset("dsb2018", split="test")
    assert ds.is_demo and len(ds) == 4 and ds[0][0].shape == (3, 128, 128)


@need_shared
def test_demo_set_rebuilds_identically(tmp_path):
    out = D.build_demo_set(SHARED / "dsb2018", tmp_path / "demo")
    for sub in ("images", "masks"):
        a, b = sorted((out / sub).glob("*.png")), sorted((D.DEMO_DIR / sub).glob("*.png"))
        assert [p.name for p in a] == [p.name for p in b] and len(a) == 24
        for p, q in zip(a, b): assert (cv2.imread(str(p)) == cv2.imread(str(q))).all()
