#!/usr/bin/env bash
# Session 14's device calls for issue #10 (H100), on the set-up of benchmarks/gpu_common.sh:
#
#   bash benchmarks/session14/gpu_s14.sh ab [SHAPES] [VARIANTS]   # carry [".whl", ".tcache"]: the SS2D forward,
#        load-group loop against the pipelined one (benchmarks/session14/ab_fwdp.py, kernels._fwd_pipe), five
#        alternating rounds with the difference from the default's output; the cubins come back as $OUT/tcache.tgz.
#        Calls 1-2 ran commit 17d3483, calls 3-4 that commit with results/session14/call3_4_kernels_17d3483.diff
#        (results/session14/README.md); on the code since, a variant pS_... is the kept form (FWD_PIPE=S, S = 2..5)
#   bash benchmarks/session14/gpu_s14.sh ncu [SHAPES] [VARIANTS] [PIPES]   # as ab, then Nsight Compute on VM-UNet s1's
#        forward with MEDSEGMAMBA_TRITON_FWD_PIPE=P for each P of PIPES (default "3"; call 2 gave "3 13"): details and stalls per SASS line
mode=${1:?usage: gpu_s14.sh ab|ncu [SHAPES] [VARIANTS] [PIPES]}
case $mode in ab|ncu) ;; *) echo "gpu_s14.sh: unknown mode '$mode'; expected ab or ncu"; exit 2 ;; esac
source benchmarks/gpu_common.sh
if [ "$mode" = ab ] || [ "$mode" = ncu ]; then
  SHAPES=${2:-"vmunet:1 resmamba_ulite:1 vmunet:2 resmamba_ulite:2"}
  VARS=${3:-"default p2_t2_q2 p3_t2_q2 p4_t2_q2 p3_t4_q2 p3_t2_q4 p4_t1_q2"}
  timeout 420 python benchmarks/session14/ab_fwdp.py --shapes $SHAPES --variants $VARS --rounds 5 \
    --out $OUT/ab_fwdp_$GPU.csv 2>&1 | grep -v Warning
  log "ab rc=$?"; pack
fi
if [ "$mode" = ncu ]; then
  command -v ncu >/dev/null || export PATH=$PATH:/usr/local/cuda/bin
  for pe in ${4:-3}; do
    MEDSEGMAMBA_TRITON_FWD_PIPE=$pe timeout 100 ncu --clock-control none --section SpeedOfLight --section SchedulerStats \
      --section WarpStateStats --section MemoryWorkloadAnalysis --section InstructionStats --section Occupancy \
      --section LaunchStats --section SourceCounters --import-source no --kernel-name _fwd_kernel --launch-skip 1 \
      --launch-count 1 -o /tmp/vm_fwd_p$pe python benchmarks/kernel_stats.py --shape vmunet 1 > /tmp/ncu$pe.log 2>&1
    log "ncu pipe $pe rc=$?"; tail -4 /tmp/ncu$pe.log
    ncu -i /tmp/vm_fwd_p$pe.ncu-rep --page details --print-details all > $OUT/ncu_vm1_fwd_pipe${pe}_$GPU.txt 2>&1
    ncu -i /tmp/vm_fwd_p$pe.ncu-rep --page source --csv --print-source sass > $OUT/ncu_vm1_fwd_pipe${pe}_sass_$GPU.csv 2>&1
    grep -A24 "Warp State Statistics" $OUT/ncu_vm1_fwd_pipe${pe}_$GPU.txt | grep -v "^ *-" | head -26
    grep -i "L1/TEX Hit\|L2 Hit\|Mem Busy\|Max Bandwidth\|Memory Throughput\|Duration" $OUT/ncu_vm1_fwd_pipe${pe}_$GPU.txt | head -8
  done
fi
log end
