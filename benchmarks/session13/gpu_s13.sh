#!/usr/bin/env bash
# Session 13's device calls for issue #10 (H100), on the set-up of benchmarks/gpu_common.sh:
#
#   bash benchmarks/session13/gpu_s13.sh probe   # carry [".whl", ".tcache"]: the forward variants of
#        bench_triton_variants.py compile (one process per variant, both shapes at once), then run at VM-UNet s1 and
#        ResMamba-ULite s1 in five alternating rounds with parity: some of a lane's decays by the polynomial exp2 on the
#        FMA pipes (`kernels._fwd_poly`), y in two chains (`kernels._fwd_ychains`); then Nsight Compute on VM-UNet s1's
#        forward (default and two polynomial decays): scheduler, warp states, pipes, stalls per SASS line; the cubins
#        come back as $OUT/tcache.tgz
#   bash benchmarks/session13/gpu_s13.sh record  # carry [".whl", ".sdists", ".tcache"]: mamba-ssm builds while
#        every shape's kernels compile, then bench_ss2d.py --no-torch --rounds 5 (the table of record: the committed
#        kernels against mamba-ssm + PyTorch cross-scan/merge at all three models' shapes, with the floors), then
#        ResMamba-ULite's batch-1 latency and batch-64 throughput (bench_models.py: eager, CUDA graph, torch.compile;
#        in call 3 the compile modes ran past the call's limit, so the next call ran them alone:)
#   bash benchmarks/session13/gpu_s13.sh models  # same carry, on record's warm machine: bench_models.py for
#        ResMamba-ULite, Triton and mamba-ssm, eager, CUDA graph, torch.compile + CUDA graph
#   bash benchmarks/session13/gpu_s13.sh dep     # as probe, with the variants that issue a group's loads only after
#        the loads before them arrived (`kernels._fwd_dep`) and Nsight Compute on one of them
#   bash benchmarks/session13/gpu_s13.sh pipe    # carry [".whl", ".tcache"]: VM-UNet s1's forward without prefetch in
#        the source, as a plain loop and through Triton's pipeliner (`tl.range` num_stages), five alternating rounds
#
# probe, dep and pipe ran at commit e25e3fa: their variants' switches were taken out of the kernels after (none was
# faster), and bench_triton_variants.py now refuses those variants by name; record and models run on any later code.
# Every log goes to $OUT as it is written; background jobs are waited for by pid.
mode=${1:?usage: gpu_s13.sh probe|dep|record|models|pipe}
case $mode in probe|dep|record|models|pipe) ;;
  *) echo "gpu_s13.sh: unknown mode '$mode'; expected probe, dep, record, models or pipe"; exit 2 ;; esac
source benchmarks/gpu_common.sh
if [ "$mode" = models ]; then    # on record's warm machine (mamba-ssm installed, inductor's cache filled)
  timeout 420 python benchmarks/bench_models.py --models resmamba_ulite --backends triton mamba_ssm \
    --modes eager cudagraph compile+cudagraph --job-limit-s 200 --budget-s 380 --out $OUT/models_resmamba_$GPU.csv \
    2>&1 | grep -v Warning | tail -30
  log end; exit 0
fi
if [ "$mode" = pipe ]; then      # VM-UNet s1 only: the forward without source prefetch, with and without the pipeliner
  VARS="fwd_nb1_t2 fwd_pipe3_t2 fwd_pipe4_t1 fwd_pipe3_t4"
  timeout 200 python benchmarks/bench_triton_variants.py --warm-only --only vmunet 1 --variants $VARS > /tmp/wv.log 2>&1
  log "variants compiled rc=$?"; grep -q "Error\|Abort\|error:\|failed" /tmp/wv.log && grep -v Warning /tmp/wv.log | tail -25
  timeout 100 python benchmarks/bench_triton_variants.py --only vmunet 1 --variants $VARS --no-torch-check \
    --reps 10 --rounds 5 --out $OUT/variants_vmunet1_$GPU.csv 2>&1 | grep -v Warning
  log end; exit 0
fi
if [ "$mode" = probe ] || [ "$mode" = dep ]; then
  VARS="fwd_poly1 fwd_poly2 fwd_poly3 fwd_yc2 fwd_poly2_yc2"; pids=()
  [ "$mode" = dep ] && VARS="fwd_b2t3 fwd_dep_b2t2 fwd_dep_b2t3 fwd_dep_b3t2 fwd_dep_b2t4q4"
  for sh in "vmunet 1" "resmamba_ulite 1"; do
    set -- $sh
    (timeout 240 python benchmarks/bench_triton_variants.py --warm-only --only $1 $2 --variants $VARS \
       > /tmp/wv_$1_$2.log 2>&1; log "variants compiled $sh rc=$?") & pids+=($!)
  done
  wait "${pids[@]}"; log "compiles done"
  for f in /tmp/wv_*.log; do grep -q "Error\|Abort\|error:\|failed" $f && { echo "== $f"; grep -v Warning $f | tail -25; }; done
  pack
  for sh in "vmunet 1" "resmamba_ulite 1"; do
    set -- $sh
    timeout 120 python benchmarks/bench_triton_variants.py --only $1 $2 --variants $VARS --no-torch-check \
      --reps 10 --rounds 5 --out $OUT/variants_$1$2_$GPU.csv 2>&1 | grep -v Warning
  done
  log "timed"
  command -v ncu >/dev/null || export PATH=$PATH:/usr/local/cuda/bin
  NCU_RUNS="POLY=0 POLY=2"; [ "$mode" = dep ] && NCU_RUNS="DEP=1"
  for run in $NCU_RUNS; do
    pe=${run,,}; pe=${pe/=/}
    [ "$mode" = dep ] && export MEDSEGMAMBA_TRITON_FWD_BUFS=2 MEDSEGMAMBA_TRITON_FWD_CHUNK=3
    env MEDSEGMAMBA_TRITON_FWD_$run timeout 100 ncu --clock-control none --section SpeedOfLight --section SchedulerStats \
      --section WarpStateStats --section ComputeWorkloadAnalysis --section InstructionStats --section Occupancy \
      --section LaunchStats --section SourceCounters --import-source no --kernel-name _fwd_kernel --launch-skip 1 \
      --launch-count 1 -o /tmp/vm_fwd_$pe python benchmarks/kernel_stats.py --shape vmunet 1 > /tmp/ncu$pe.log 2>&1
    log "ncu $run rc=$?"; tail -4 /tmp/ncu$pe.log
    ncu -i /tmp/vm_fwd_$pe.ncu-rep --page details --print-details all > $OUT/ncu_vm1_fwd_${pe}_$GPU.txt 2>&1
    ncu -i /tmp/vm_fwd_$pe.ncu-rep --page source --csv --print-source sass > $OUT/ncu_vm1_fwd_${pe}_sass_$GPU.csv 2>&1
    grep -A30 "Warp State Statistics" $OUT/ncu_vm1_fwd_${pe}_$GPU.txt | head -40
  done
  log end; exit 0
fi
# record
mpid=""; have_mamba || { mamba 16 & mpid=$!; }
pids=()
for m in "vmunet 1" "vmunet 2" "vmunet 3" "vmunet 4" "resmamba_ulite 1" "resmamba_ulite 2" "resmamba_ulite 3" \
         "resmamba_ulite 4" "resmamba_ulite 5" "lightm_unet 1" "lightm_unet 2" "lightm_unet 3" "lightm_unet 4"; do
  set -- $m
  (timeout 240 python benchmarks/bench_ss2d.py --no-torch --only $1 --stages $2 --warmup 1 --reps 1 \
     --out /tmp/w_$1_$2.csv > /tmp/wb_$1_$2.log 2>&1; log "compiled $m rc=$?") & pids+=($!)
done
wait "${pids[@]}"; log "compiles done"
for f in /tmp/wb_*.log; do grep -q "Error\|Abort\|error:" $f && { echo "== $f"; grep -v Warning $f | tail -25; }; done
while [ -n "$mpid" ] && kill -0 $mpid 2>/dev/null && [ $(( $(date +%s) - t0 )) -lt 280 ]; do sleep 5; done
[ -n "$mpid" ] && kill -0 $mpid 2>/dev/null && { pkill -P $mpid; kill $mpid; log "mamba-ssm build stopped: no time left"; }
timeout 170 python benchmarks/bench_ss2d.py --no-torch --rounds 5 --out $OUT/ss2d_rounds5_$GPU.csv 2>&1 | grep -v Warning
log "table done"
pack
left=$(( 580 - ($(date +%s) - t0) ))
[ $left -gt 60 ] && timeout $left python benchmarks/bench_models.py --models resmamba_ulite --backends triton mamba_ssm \
  --out $OUT/models_resmamba_$GPU.csv 2>&1 | grep -v Warning | tail -30
log end; exit 0
