# Sourced by the session device scripts (benchmarks/session11/gpu_s11.sh on): the set-up every device call repeats.
# Needs $OUT (the device tool's output folder) and $mode; carry [".whl"] (the wheels the image lacks), optionally
# ".sdists" (mamba-ssm's sdist, built by `mamba`) and ".tcache" (a previous call's $OUT/tcache.tgz: Triton cubins).
# Gives: GPU (h100 / h200: the card, for file names), log (seconds since start), mamba [MAX_JOBS] (build + install mamba-ssm, log in $OUT), pack (the Triton cache,
# sources truncated, as $OUT/tcache.tgz), have_mamba, ncu_fwd TAG MODEL STAGE [VAR=VALUE...] (Nsight Compute on
# $NCU_COUNT (default 1) launches of that shape's SS2D forward, `_fwd_kernel`, after the first, with those switches: $OUT/ncu_TAG_$GPU.txt, the details, and
# $OUT/ncu_TAG_sass_$GPU.csv, the counters and stall samples per SASS line; prints the warp states), compile_shapes LIMIT
# "JOB..." [ARGS...] (each JOB, MODEL:STAGE or MODEL:STAGE/VAR=VALUE[,VAR=VALUE], a one-repeat bench_ss2d.py run with
# ARGS, and --ab that switch, in a process of its own, all at once, each stopped after LIMIT s: Triton compiles the
# kernels there; prints the logs of those that failed), wait_mamba PID DEADLINE (wait for a background `mamba` until
# DEADLINE s after the start, then stop it), ALL_SHAPES (the three models' SS2D and scan shapes, as JOBs).
set -o pipefail
exec > >(tee $OUT/gpu_$mode.log) 2>&1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl >/dev/null 2>&1
export PYTHONPATH=$PWD:/tmp/site PYTHONUNBUFFERED=1 TRITON_CACHE_DIR=/tmp/tcache
t0=$(date +%s); log() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
log "start $mode"; nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
GPU=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | grep -o 'H[0-9]\+' | tr H h); GPU=${GPU:-gpu}  # h100, h200
if [ ! -d /tmp/tcache ] && [ -f .tcache/tcache.tgz ]; then tar xzf .tcache/tcache.tgz -C /tmp && log "Triton cache restored"; fi
[ -d /tmp/tcache ] && log "Triton cache: $(find /tmp/tcache -name '*.cubin' | wc -l) cubins"
have_mamba() { python3 -c "import mamba_ssm, selective_scan_cuda" 2>/dev/null; }
mamba() { MAX_JOBS=${1:-16} bash tools/mamba-ssm-gpu.sh install .sdists > $OUT/mamba_build_$mode.log 2>&1; log "mamba-ssm rc=$?"; }
pack() {
  find /tmp/tcache -type f \( -name '*.llir' -o -name '*.ttir' -o -name '*.ttgir' -o -name '*.ptx' -o -name '*.source' \) -exec truncate -s 0 {} +
  log "cubins: $(find /tmp/tcache -name '*.cubin' | wc -l)"; tar czf $OUT/tcache.tgz -C /tmp tcache; ls -la $OUT/tcache.tgz
}
ncu_fwd() {
  local tag=$1 model=$2 stage=$3; shift 3
  command -v ncu >/dev/null || export PATH=$PATH:/usr/local/cuda/bin
  env "$@" timeout 100 ncu --clock-control none --section SpeedOfLight --section SchedulerStats --section WarpStateStats \
    --section MemoryWorkloadAnalysis --section InstructionStats --section Occupancy --section LaunchStats \
    --section SourceCounters --import-source no --kernel-name _fwd_kernel --launch-skip 1 --launch-count ${NCU_COUNT:-1} \
    -o /tmp/ncu_$tag python benchmarks/kernel_stats.py --shape $model $stage > /tmp/ncu_$tag.log 2>&1
  log "ncu $tag ($model $stage $*) rc=$?"; tail -4 /tmp/ncu_$tag.log
  ncu -i /tmp/ncu_$tag.ncu-rep --page details --print-details all > $OUT/ncu_${tag}_$GPU.txt 2>&1
  ncu -i /tmp/ncu_$tag.ncu-rep --page source --csv --print-source sass > $OUT/ncu_${tag}_sass_$GPU.csv 2>&1
  grep -A24 "Warp State Statistics" $OUT/ncu_${tag}_$GPU.txt | grep -v "^ *-" | head -26
  grep -i "L1/TEX Hit\|L2 Hit\|Mem Busy\|Max Bandwidth\|Memory Throughput\|Duration\|Achieved Occupancy\|Registers Per" \
    $OUT/ncu_${tag}_$GPU.txt | head -10
}
ALL_SHAPES="vmunet:1 vmunet:2 vmunet:3 vmunet:4 resmamba_ulite:1 resmamba_ulite:2 resmamba_ulite:3 resmamba_ulite:4
  resmamba_ulite:5 lightm_unet:1 lightm_unet:2 lightm_unet:3 lightm_unet:4"
compile_shapes() {
  local limit=$1 jobs=$2 pids=() job sh ab tag; shift 2
  for job in $jobs; do
    sh=${job%%/*}; ab=(); [ "$sh" != "$job" ] && ab=(--ab "${job#*/}")
    tag=$(echo "$job" | tr -c 'A-Za-z0-9_\n' _)
    (timeout $limit python benchmarks/bench_ss2d.py --no-torch --only ${sh%:*} --stages ${sh#*:} --warmup 1 --reps 1 \
       "$@" "${ab[@]}" --out /tmp/w_$tag.csv > /tmp/wb_$tag.log 2>&1; log "compiled $job rc=$?") & pids+=($!)
  done
  wait "${pids[@]}"; log "compiles done"   # by pid: a bare wait would also wait for the log's >(tee)
  for f in /tmp/wb_*.log; do grep -q "Error\|Abort\|error:\|not run" $f && { echo "== $f"; grep -v Warning $f | tail -25; }; done
}
wait_mamba() {
  local pid=$1
  while [ -n "$pid" ] && kill -0 $pid 2>/dev/null && [ $(( $(date +%s) - t0 )) -lt $2 ]; do sleep 5; done
  [ -n "$pid" ] && kill -0 $pid 2>/dev/null && { pkill -P $pid; kill $pid; log "mamba-ssm build stopped: no time left"; }
}
