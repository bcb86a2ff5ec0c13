"""Build a preprocessing cache and print how long it took.

    python benchmarks/build_cache.py dsb2018 --root ../shared/data/dsb2018 --size 256 --out .cache/dsb2018_256.npz
"""
import argparse, time
from pathlib import Path

from medsegmamba.data import build_cache, load_cache, list_datasets


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("name", choices=list_datasets(), help="dataset name")
    ap.add_argument("--root", required=True, help="dataset folder")
    ap.add_argument("--size", type=int, nargs="+", default=[256], help="S or H W")
    ap.add_argument("--out", default=None, help="output .npz (default .cache/<name>_<size>.npz)")
    ap.add_argument("--workers", type=int, default=None, help="reader threads")
    ap.add_argument("--target", default=None, help="sunnybrook: endo or epi")
    a = ap.parse_args(argv)
    size = tuple(a.size) if len(a.size) == 2 else (a.size[0], a.size[0])
    kw = {"target": a.target} if a.target else {}
    t0 = time.perf_counter()
    out = build_cache(a.name, a.root, size, a.out, workers=a.workers, **kw)
    t1 = time.perf_counter()
    d = load_cache(out)
    t2 = time.perf_counter()
    mb = Path(out).stat().st_size / 2**20
    print(f"{a.name}: {len(d['ids'])} samples at {size[0]}x{size[1]} -> {out} ({mb:.1f} MiB); "
          f"build {t1 - t0:.1f} s, load {t2 - t1:.2f} s; image {d['image'].shape} {d['image'].dtype}, mask {d['mask'].shape}")


if __name__ == "__main__":
    main()
