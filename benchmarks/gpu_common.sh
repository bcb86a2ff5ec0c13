# Sourced by the session device scripts (benchmarks/session11/gpu_s11.sh on): the set-up every device call repeats.
# Needs $OUT (the device tool's output folder) and $mode; carry [".whl"] (the wheels the image lacks), optionally
# ".sdists" (mamba-ssm's sdist, built by `mamba`) and ".tcache" (a previous call's $OUT/tcache.tgz: Triton cubins).
# Gives: GPU (h100 / h200: the card, for file names), log (seconds since start), mamba [MAX_JOBS] (build + install mamba-ssm, log in $OUT), pack (the Triton cache,
# sources truncated, as $OUT/tcache.tgz), have_mamba, ncu_fwd TAG MODEL STAGE [VAR=VALUE...] (Nsight Compute on
# $NCU_COUNT (default 1) launches of that shape's SS2D forward, `_fwd_kernel`, after the first, with those switches: $OUT/ncu_TAG_$GPU.txt, the details, and
# $OUT/ncu_TAG_sass_$GPU.csv, the counters and stall samples per SASS line; prints the warp states).
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
