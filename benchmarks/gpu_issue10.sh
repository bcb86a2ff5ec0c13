#!/usr/bin/env bash
# Issue #10's H100 measurements in one device call (session 4): build mamba-ssm while Triton compiles every kernel
# variant the benchmarks launch (parallel processes fill the shared cache), then time, in this order:
#   1. bench_ss2d.py      fused Triton SS2D vs mamba-ssm + PyTorch cross-scan/merge at all three models' shapes
#   2. bench_models.py    ResMamba-ULite batch-1 latency / batch-64 throughput, Triton and mamba-ssm, CUDA graph
#   3. bench_triton_variants.py   the transpose-reduce and shortest-segment A/B, parity against our torch backend
# Run from the repo root with the carried .whl, .sdists and results written to $OUT:
#   bash benchmarks/gpu_issue10.sh
set -o pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl >/dev/null 2>&1
export PYTHONPATH=$PWD:/tmp/site PYTHONUNBUFFERED=1
t0=$(date +%s); log() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
log start; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
(bash tools/mamba-ssm-gpu.sh install .sdists > /tmp/mamba_build.log 2>&1; echo "mamba build rc=$?" >> /tmp/mamba_build.log) &
mb=$!
for m in vmunet resmamba_ulite lightm_unet; do
  (python benchmarks/bench_ss2d.py --no-torch --only $m --warmup 1 --reps 1 --out /tmp/warm_$m.csv > /tmp/warm_$m.log 2>&1) &
done
for b in 64 1; do
  (python benchmarks/profile_train_step.py --infer --models resmamba_ulite --batch $b --backend triton --warmup 1 --steps 1 --prof-steps 1 > /tmp/warm_model_$b.log 2>&1) &
done
python benchmarks/bench_triton_variants.py --warm-only > /tmp/warm_variants.log 2>&1
wait; log "warm-up and mamba-ssm build done"; tail -2 /tmp/mamba_build.log
grep -h "Error" /tmp/warm_*.log | sort | uniq -c | head
python benchmarks/bench_ss2d.py --no-torch --out $OUT/ss2d_h100.csv 2>&1 | grep -v Warning | tee $OUT/bench_ss2d.log | tail -45
log "bench_ss2d done"
python benchmarks/bench_models.py --models resmamba_ulite --backends triton mamba_ssm --modes cudagraph --quick --budget-s 150 --job-limit-s 120 --out $OUT/models_resmamba_h100.csv 2>&1 | tail -6 | tee $OUT/models_resmamba_h100.log
log "bench_models done"
python benchmarks/bench_triton_variants.py --out $OUT/triton_variants_h100.csv 2>&1 | grep -v Warning | tee $OUT/triton_variants_h100.log | tail -14
log "variants done"
log end
