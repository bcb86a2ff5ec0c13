#!/usr/bin/env bash
# Issue #10's H100 measurements, in two device calls (session 5: the double-buffered backward takes minutes of
# ptxas time per shape, so compiling and timing no longer fit one 10-minute call together):
#
#   bash benchmarks/gpu_issue10.sh warm    # carry [".whl"]: compile every Triton kernel the benchmarks launch, one
#                                          # process per shape, and send the cubins back as $OUT/tcache.tgz
#   (here: mkdir -p .tcache && cp /work/.device/N/tcache.tgz .tcache/)
#   bash benchmarks/gpu_issue10.sh bench   # carry [".whl", ".sdists", ".tcache"]: build mamba-ssm, then time
#       1. bench_ss2d.py      fused Triton SS2D vs mamba-ssm + PyTorch cross-scan/merge at all three models' shapes
#       2. bench_models.py    ResMamba-ULite batch-1 latency / batch-64 throughput, Triton and mamba-ssm, CUDA graph
#       3. bench_triton_variants.py   A/B of the kernels' switches, parity against our torch backend
#
# The cache is only reused if the kernels' source is unchanged between the two calls. Every log goes to $OUT as it
# is written (a call cut off at its limit still returns it). Written in session 5 after its warm call ran out of
# time with 23 processes on 16 cores and a 360 s limit each; this two-call form has not run yet.
set -o pipefail
mode=${1:?usage: gpu_issue10.sh warm|bench}
exec > >(tee $OUT/gpu_issue10_$mode.log) 2>&1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl >/dev/null 2>&1
export PYTHONPATH=$PWD:/tmp/site PYTHONUNBUFFERED=1 TRITON_CACHE_DIR=/tmp/tcache
t0=$(date +%s); log() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
log "start $mode"; nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
SHAPES="vmunet:1 vmunet:2 vmunet:3 vmunet:4 resmamba_ulite:1 resmamba_ulite:2 resmamba_ulite:3 resmamba_ulite:4 resmamba_ulite:5 lightm_unet:1 lightm_unet:2 lightm_unet:3 lightm_unet:4"
if [ "$mode" = warm ]; then
  for m in $SHAPES; do
    (timeout 500 python benchmarks/bench_ss2d.py --no-torch --only ${m%:*} --stages ${m#*:} --warmup 1 --reps 1 --out /tmp/w.csv > /tmp/w_${m/:/_}.log 2>&1; log "$m rc=$?") &
  done
  for b in 64 1; do
    (timeout 500 python benchmarks/profile_train_step.py --infer --models resmamba_ulite --batch $b --backend triton --warmup 1 --steps 1 --prof-steps 1 > /tmp/wm_$b.log 2>&1; log "model batch $b rc=$?") &
  done
  wait; log "ss2d and model kernels compiled"
  timeout 40 python benchmarks/bench_triton_variants.py --warm-only; log "variants rc=$?"
  find /tmp/tcache -type f \( -name '*.llir' -o -name '*.ttir' -o -name '*.ttgir' -o -name '*.ptx' -o -name '*.source' \) -exec truncate -s 0 {} +
  tar czf $OUT/tcache.tgz -C /tmp tcache; ls -la $OUT; log end; exit 0
fi
[ -f .tcache/tcache.tgz ] && tar xzf .tcache/tcache.tgz -C /tmp && log "Triton cache restored: $(ls /tmp/tcache | wc -l) entries"
(bash tools/mamba-ssm-gpu.sh install .sdists > $OUT/mamba_build.log 2>&1; echo "mamba build rc=$?" >> $OUT/mamba_build.log) &
wait; log "mamba-ssm build done"; tail -2 $OUT/mamba_build.log
python benchmarks/bench_ss2d.py --no-torch --out $OUT/ss2d_h100.csv 2>&1 | grep -v Warning | tee $OUT/bench_ss2d.log
log "bench_ss2d done"
python benchmarks/bench_models.py --models resmamba_ulite --backends triton mamba_ssm --modes cudagraph --quick --budget-s 150 --job-limit-s 120 --out $OUT/models_resmamba_h100.csv 2>&1 | tail -6 | tee $OUT/models_resmamba_h100.log
log "bench_models done"
timeout 120 python benchmarks/bench_triton_variants.py --out $OUT/triton_variants_h100.csv 2>&1 | grep -v Warning | tee $OUT/triton_variants_h100.log
log end
