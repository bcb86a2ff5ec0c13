#!/usr/bin/env bash
# Session 12's device call for issue #10 (H100), on the set-up of benchmarks/gpu_common.sh:
#
#   bash benchmarks/session12/gpu_s12.sh lean    # carry [".whl", ".tcache"]: the forward variants of
#        bench_triton_variants.py compile (one process per variant, both shapes at once), then run at VM-UNet s1 and
#        ResMamba-ULite s1 in five alternating rounds with parity: two (sessions 5-11) or three load groups in flight
#        (`kernels._fwd_bufs`), and two other deeper prefetches at four lanes a channel; no mamba-ssm
#   (call 1 ran it, after eleven tries found no machine: results/session12/README.md)
#
# Every log goes to $OUT as it is written; background jobs are waited for by pid.
mode=${1:?usage: gpu_s12.sh lean}
case $mode in lean) ;; *) echo "gpu_s12.sh: unknown mode '$mode'; expected lean"; exit 2 ;; esac
source benchmarks/gpu_common.sh
VARS="fwd_bufs2 fwd_bufs3 fwd_bufs3_q4t1 fwd_chunk4_q4"; pids=()
for sh in "vmunet 1" "resmamba_ulite 1"; do
  set -- $sh
  (timeout 200 python benchmarks/bench_triton_variants.py --warm-only --only $1 $2 --variants $VARS \
     > /tmp/wv_$1_$2.log 2>&1; log "variants compiled $sh rc=$?") & pids+=($!)
done
wait "${pids[@]}"; log "compiles done"
for f in /tmp/wv_*.log; do grep -q "Error\|Abort\|error:\|failed" $f && { echo "== $f"; grep -v Warning $f | tail -25; }; done
for sh in "vmunet 1" "resmamba_ulite 1"; do
  set -- $sh
  timeout 100 python benchmarks/bench_triton_variants.py --only $1 $2 --variants $VARS --no-torch-check \
    --reps 10 --rounds 5 --out $OUT/variants_$1$2_$GPU.csv 2>&1 | grep -v Warning
done
log end; exit 0
