#!/usr/bin/env bash
# Session 10's device calls for issue #10 (H100; the machine kept warm between calls keeps /tmp/tcache, /tmp/site and
# the mamba-ssm install; a fresh one restores .tcache if carried and rebuilds mamba-ssm):
#
#   bash benchmarks/session10/gpu_s10.sh ab       # carry [".whl", ".sdists"] (+ ".tcache"): mamba-ssm builds while the
#        fp32 forward+backward kernels of five shapes compile for the backward's 1, 2 and 4 lanes a channel (one process
#        per shape and q); then the alternating A/B of the backward's lanes (session9/ab_split.py --backward: five rounds,
#        parity against q = 1) and torch.profiler's kernel table at ResMamba-ULite s1 for q = 1 and 2 (prof_bwd.py);
#        the cubins come back as $OUT/tcache.tgz
#   bash benchmarks/session10/gpu_s10.sh table     # carry [".whl", ".sdists", ".tcache"]: mamba-ssm builds (where not
#        installed) while LightM-UNet s1-s4's kernels compile for the backward's 1, 2, 4 lanes and bench_ss2d.py's shapes
#        compile; the A/B at LightM-UNet s1-s4; prof_bwd.py at ResMamba-ULite s1 with --grads leaves and autograd; ncu's
#        stall and pipe sections of the backward kernel there (kernel_stats.py); then bench_ss2d.py --no-torch --rounds 5
#        (the table: Triton against mamba-ssm + cross-scan/merge, gradients by torch.autograd.grad)
#   bash benchmarks/session10/gpu_s10.sh variants  # same carry, after the 8-byte dB, dC atomics (kernels._bc_v2): every
#        bench_ss2d.py shape (one process each) and bench_triton_variants.py's variants at ResMamba-ULite s1 compile while
#        mamba-ssm builds; then the variants in five alternating rounds (default, bcv2_0, bc_store, bwd_chunk1,
#        bc_store_chunk1)
#   bash benchmarks/session10/gpu_s10.sh record    # on variants' warm machine: bench_ss2d.py --no-torch --rounds 5 (the
#        table of record), then the CUDA kernel tests of the backward's paths (-k "column or backward_split_n")
#   bash benchmarks/session10/gpu_s10.sh all       # variants and record in one call (a fresh machine): the CUDA tests
#        run beside the compiles, before the timed runs; the logs of failed compiles are printed
#   bash benchmarks/session10/gpu_s10.sh final     # same carry, after the defaults were set from all's A/B (dB, dC
#        stored where a program is their only writer; the plain scan's backward 4 lanes a channel): the kernels those
#        change compile while mamba-ssm builds, then bench_ss2d.py --no-torch --rounds 5 (the table of record)
#   bash benchmarks/session10/gpu_s10.sh confirm   # carry [".whl", ".tcache"], no mamba-ssm (the device time left was
#        too short for its build): the committed defaults on the GPU, Triton only. LightM-UNet s1-s4's kernels compile
#        (one process each); then at ResMamba-ULite s1 the default against bc_store (the same path, forced) and bcv2_0
#        (4-byte atomics), five alternating rounds with parity; then bench_ss2d.py --no-torch --rounds 5 at
#        ResMamba-ULite and LightM-UNet (Triton rows only)
#   (calls 1-5 ran ab, table, variants, all, confirm: results/session10/README.md; record and final never ran, the
#   session's device time being spent)
#
# Every log goes to $OUT as it is written; background jobs are waited for by pid.
set -o pipefail
mode=${1:?usage: gpu_s10.sh ab|table|variants|record|all|final|confirm}
case $mode in ab|table|variants|record|all|final|confirm) ;;
  *) echo "gpu_s10.sh: unknown mode '$mode'; expected ab, table, variants, record, all, final or confirm"; exit 2 ;; esac
exec > >(tee $OUT/gpu_s10_$mode.log) 2>&1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl >/dev/null 2>&1
export PYTHONPATH=$PWD:/tmp/site PYTHONUNBUFFERED=1 TRITON_CACHE_DIR=/tmp/tcache
t0=$(date +%s); log() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
log "start $mode"; nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
if [ ! -d /tmp/tcache ] && [ -f .tcache/tcache.tgz ]; then tar xzf .tcache/tcache.tgz -C /tmp && log "Triton cache restored"; fi
[ -d /tmp/tcache ] && log "Triton cache: $(find /tmp/tcache -name '*.cubin' | wc -l) cubins"
mamba() { MAX_JOBS=${1:-16} bash tools/mamba-ssm-gpu.sh install .sdists > $OUT/mamba_build_$mode.log 2>&1; log "mamba-ssm rc=$?"; }
pack() {
  find /tmp/tcache -type f \( -name '*.llir' -o -name '*.ttir' -o -name '*.ttgir' -o -name '*.ptx' -o -name '*.source' \) -exec truncate -s 0 {} +
  log "cubins: $(find /tmp/tcache -name '*.cubin' | wc -l)"; tar czf $OUT/tcache.tgz -C /tmp tcache; ls -la $OUT/tcache.tgz
}
SHAPES="vmunet:1 resmamba_ulite:1 resmamba_ulite:2 resmamba_ulite:3 lightm_unet:1"
if [ "$mode" = ab ]; then
  mamba 4 & mpid=$!
  pids=()
  for sh in $SHAPES; do for q in 1 2 4; do
    (timeout 420 python benchmarks/session9/ab_split.py --backward --shapes $sh --qs $q --rounds 0 > /tmp/w_${sh/:/_}_$q.log 2>&1
     log "compiled $sh q=$q rc=$?") & pids+=($!)
  done; done
  wait "${pids[@]}"; log "compiles done"
  for f in /tmp/w_*.log; do grep -v Warning $f | grep -iv "^compiled" | tail -2; done
  timeout 150 python benchmarks/session9/ab_split.py --backward --shapes $SHAPES --rounds 5 --out $OUT/ab_bwd_split.csv 2>&1 | grep -v Warning
  for q in 1 2; do
    MEDSEGMAMBA_TRITON_BWD_SPLIT_N=$q timeout 60 python benchmarks/session10/prof_bwd.py --shape resmamba_ulite 1 --out /tmp/prof_q$q.txt >/dev/null 2>&1
    echo "== MEDSEGMAMBA_TRITON_BWD_SPLIT_N=$q"; cat /tmp/prof_q$q.txt
  done > $OUT/prof_rm1_fwd_bwd.txt
  log "profiles done"
  pack; wait $mpid; log end; exit 0
fi
if [ "$mode" = table ]; then
  mpid=""; python3 -c "import mamba_ssm" 2>/dev/null || { mamba 4 & mpid=$!; }
  pids=()
  for s in 1 2 3 4; do for q in 1 2 4; do
    (timeout 400 python benchmarks/session9/ab_split.py --backward --shapes lightm_unet:$s --qs $q --rounds 0 > /tmp/wl_${s}_$q.log 2>&1
     log "compiled lightm_unet:$s q=$q rc=$?") & pids+=($!)
  done; done
  (timeout 400 python benchmarks/bench_ss2d.py --no-torch --warmup 1 --reps 1 --out /tmp/warm.csv > /tmp/warm_bench.log 2>&1
   log "bench shapes compiled rc=$?") & pids+=($!)
  wait "${pids[@]}"; log "compiles done"
  timeout 120 python benchmarks/session9/ab_split.py --backward --shapes lightm_unet:1 lightm_unet:2 lightm_unet:3 lightm_unet:4 \
    --rounds 5 --out $OUT/ab_bwd_split_lightm.csv 2>&1 | grep -v Warning
  for g in leaves autograd; do
    timeout 60 python benchmarks/session10/prof_bwd.py --shape resmamba_ulite 1 --grads $g --out /tmp/prof_$g.txt >/dev/null 2>&1
    cat /tmp/prof_$g.txt
  done > $OUT/prof_rm1_grads.txt
  command -v ncu >/dev/null || export PATH=$PATH:/usr/local/cuda/bin
  timeout 150 ncu --clock-control none --kernel-name regex:_bwd_kernel --launch-skip 1 --launch-count 1 \
    --section SpeedOfLight --section SchedulerStats --section WarpStateStats --section Occupancy --section LaunchStats \
    --section ComputeWorkloadAnalysis --section InstructionStats \
    python benchmarks/kernel_stats.py --shape resmamba_ulite 1 --backward --reps 1 > $OUT/ncu_rm1_bwd.txt 2>&1; log "ncu rc=$?"
  [ -n "$mpid" ] && wait $mpid
  timeout 200 python benchmarks/bench_ss2d.py --no-torch --rounds 5 --out $OUT/ss2d_rounds5_h100.csv 2>&1 | grep -v Warning
  pack; log end; exit 0
fi
if [ "$mode" = confirm ]; then
  pids=()
  for st in 1 2 3 4; do
    (timeout 200 python benchmarks/bench_ss2d.py --no-torch --only lightm_unet --stages $st --warmup 1 --reps 1 \
       --out /tmp/w_$st.csv > /tmp/wl_$st.log 2>&1; log "compiled lightm_unet $st rc=$?") & pids+=($!)
  done
  wait "${pids[@]}"; log "compiles done"
  timeout 90 python benchmarks/bench_triton_variants.py --only resmamba_ulite 1 --variants bc_store bcv2_0 --no-torch-check \
    --reps 10 --rounds 5 --out $OUT/variants_rm1_defaults_h100.csv 2>&1 | grep -v Warning
  timeout 120 python benchmarks/bench_ss2d.py --no-torch --only resmamba_ulite lightm_unet --rounds 5 \
    --out $OUT/ss2d_triton_defaults_h100.csv 2>&1 | grep -v Warning
  log end; exit 0
fi
if [ "$mode" = final ]; then
  mpid=""; python3 -c "import mamba_ssm" 2>/dev/null || { mamba 6 & mpid=$!; }
  pids=()
  for m in "resmamba_ulite 1" "lightm_unet 1" "lightm_unet 2" "lightm_unet 3" "lightm_unet 4"; do
    set -- $m
    (timeout 300 python benchmarks/bench_ss2d.py --no-torch --only $1 --stages $2 --warmup 1 --reps 1 --out /tmp/w_$1_$2.csv \
       > /tmp/wb_$1_$2.log 2>&1; log "compiled $m rc=$?") & pids+=($!)
  done
  wait "${pids[@]}"; [ -n "$mpid" ] && wait $mpid; log "compiles done"
  timeout 200 python benchmarks/bench_ss2d.py --no-torch --rounds 5 --out $OUT/ss2d_rounds5_h100.csv 2>&1 | grep -v Warning
  log end; exit 0
fi
if [ "$mode" = variants ] || [ "$mode" = all ]; then
  mpid=""; python3 -c "import mamba_ssm" 2>/dev/null || { mamba 4 & mpid=$!; }
  pids=()
  (timeout 500 python benchmarks/bench_triton_variants.py --warm-only --only resmamba_ulite 1 \
     --variants bcv2_0 bc_store bwd_chunk1 bc_store_chunk1 > /tmp/wv.log 2>&1; log "variants compiled rc=$?") & pids+=($!)
  for m in "vmunet 1" "vmunet 2" "vmunet 3" "vmunet 4" "resmamba_ulite 1" "resmamba_ulite 2" "resmamba_ulite 3" \
           "resmamba_ulite 4" "resmamba_ulite 5" "lightm_unet 1" "lightm_unet 2" "lightm_unet 3" "lightm_unet 4"; do
    set -- $m
    (timeout 500 python benchmarks/bench_ss2d.py --no-torch --only $1 --stages $2 --warmup 1 --reps 1 --out /tmp/w_$1_$2.csv \
       > /tmp/wb_$1_$2.log 2>&1; log "compiled $m rc=$?") & pids+=($!)
  done
  if [ "$mode" = all ]; then   # the CUDA tests of the backward's paths, before anything is timed
    (timeout 300 python -m pytest -v -n 3 -p no:cacheprovider tests/test_kernels.py -k "column or backward_split_n" \
       > $OUT/pytest_kernels_cuda.log 2>&1; log "pytest rc=$?") & pids+=($!)
  fi
  wait "${pids[@]}"; log "compiles done"
  [ "$mode" = all ] && tail -4 $OUT/pytest_kernels_cuda.log
  for f in /tmp/wv.log /tmp/wb_*.log; do grep -q "Error\|Abort\|error:" $f && { echo "== $f"; grep -v Warning $f | tail -25; }; done
  timeout 200 python benchmarks/bench_triton_variants.py --only resmamba_ulite 1 --variants bcv2_0 bc_store bwd_chunk1 \
    bc_store_chunk1 --no-torch-check --reps 10 --rounds 5 --out $OUT/variants_rm1_h100.csv 2>&1 | grep -v Warning
  [ "$mode" = variants ] && { pack; [ -n "$mpid" ] && wait $mpid; log end; exit 0; }
  [ -n "$mpid" ] && wait $mpid
fi
python3 -c "import mamba_ssm" 2>/dev/null || mamba 16
timeout 200 python benchmarks/bench_ss2d.py --no-torch --rounds 5 --out $OUT/ss2d_rounds5_h100.csv 2>&1 | grep -v Warning
[ "$mode" = all ] && { pack; log end; exit 0; }
timeout 300 python -m pytest -v -n 4 -p no:cacheprovider tests/test_kernels.py -k "column or backward_split_n" \
  > $OUT/pytest_kernels_cuda.log 2>&1; log "pytest rc=$?"
tail -5 $OUT/pytest_kernels_cuda.log; pack; log end
