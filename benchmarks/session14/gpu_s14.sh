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
if [ "$mode" = ncu ]; then   # since session 15 through gpu_common.sh's ncu_fwd: the same sections and file names
  for pe in ${4:-3}; do ncu_fwd vm1_fwd_pipe$pe vmunet 1 MEDSEGMAMBA_TRITON_FWD_PIPE=$pe; done
fi
log end
