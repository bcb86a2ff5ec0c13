#!/usr/bin/env bash
# Session 5, call 5: compile every Triton kernel the benchmarks launch (one process per shape), time the Triton
# variants (no mamba-ssm needed), and send the compiled cubins back (IR files emptied) for the next call to reuse.
set -o pipefail
exec > >(tee $OUT/run5.log) 2>&1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl >/dev/null 2>&1
export PYTHONPATH=$PWD:/tmp/site PYTHONUNBUFFERED=1 TRITON_CACHE_DIR=/tmp/tcache
t0=$(date +%s); log() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
log start; nproc
for m in vmunet:1 vmunet:2 vmunet:3 vmunet:4 resmamba_ulite:1 resmamba_ulite:2 resmamba_ulite:3 resmamba_ulite:4 resmamba_ulite:5 lightm_unet:1 lightm_unet:2 lightm_unet:3 lightm_unet:4; do
  (timeout 360 python benchmarks/bench_ss2d.py --no-torch --only ${m%:*} --stages ${m#*:} --warmup 1 --reps 1 --out /tmp/w_${m/:/_}.csv > /tmp/w_${m/:/_}.log 2>&1; echo "$m rc=$?") &
done
for b in 64 1; do
  (timeout 360 python benchmarks/profile_train_step.py --infer --models resmamba_ulite --batch $b --backend triton --warmup 1 --steps 1 --prof-steps 1 > /tmp/wm_$b.log 2>&1; echo "model b$b rc=$?") &
done
(timeout 360 python benchmarks/bench_triton_variants.py --warm-only > /tmp/wv.log 2>&1; echo "variants rc=$?") &
wait; log "warm done"; grep -h "Error\|error" /tmp/w*.log | sort | uniq -c | head
timeout 100 python benchmarks/bench_triton_variants.py --reps 10 --out $OUT/triton_variants_s5.csv 2>&1 | grep -v Warn; log "variants timed"
find /tmp/tcache -type f \( -name '*.llir' -o -name '*.ttir' -o -name '*.ttgir' -o -name '*.ptx' -o -name '*.source' \) -exec truncate -s 0 {} +
tar czf $OUT/tcache.tgz -C /tmp tcache; ls -la $OUT; log end
