#!/usr/bin/env bash
# Session 15's device calls for issue #10 (H100), on the set-up of benchmarks/gpu_common.sh:
#
#   bash benchmarks/session15/gpu_s15.sh record "AB..." ["NCU..."]   # carry [".whl", ".sdists", ".tcache"]:
#        mamba-ssm builds while every shape's kernels compile (also with each AB switch set), then
#        bench_ss2d.py --no-torch --rounds 5 --ab AB... (the fused SS2D against mamba-ssm + PyTorch cross-scan/merge
#        at all three models' shapes, five alternating rounds, the Triton method again with each AB switch set; an AB
#        is VAR=VALUE[,VAR=VALUE]); the cubins come back as $OUT/tcache.tgz; then, while time is left, Nsight Compute
#        (gpu_common.sh's ncu_fwd) for each NCU, TAG:MODEL:STAGE[:VAR=VALUE[,VAR=VALUE]]
#   bash benchmarks/session15/gpu_s15.sh ab "MODEL:STAGE..." "AB..." ["NCU..."]   # carry [".whl", ".tcache"]: as
#        record at those shapes only, without mamba-ssm, seven rounds; then the NCU as in record
#   bash benchmarks/session15/gpu_s15.sh models "ENV" [BACKENDS]   # same carry: bench_models.py for ResMamba-ULite
#        (bf16, channels-last, 256x256, torch.compile + CUDA graph) with the switches ENV (VAR=VALUE ..., may be "")
mode=${1:?usage: gpu_s15.sh record|ab|models ...}
case $mode in record|ab|models) ;; *) echo "gpu_s15.sh: unknown mode '$mode'; expected record, ab or models"; exit 2 ;; esac
source benchmarks/gpu_common.sh
if [ "$mode" = models ]; then
  mpid=""; have_mamba || { mamba 16 & mpid=$!; }
  [ -n "$mpid" ] && wait $mpid
  env $2 timeout 420 python benchmarks/bench_models.py --models resmamba_ulite --backends ${3:-triton mamba_ssm} \
    --modes compile+cudagraph --out $OUT/models_resmamba_$GPU.csv 2>&1 | grep -v Warning | tail -30
  log "models rc=$?"; pack; log end; exit 0
fi
run_ncu() {   # each TAG:MODEL:STAGE[:VAR=VALUE[,VAR=VALUE]] while the call has time
  for spec in "$@"; do
    [ $(( $(date +%s) - t0 )) -gt 500 ] && { log "ncu $spec: no time left"; continue; }
    IFS=: read -r tag model stage env <<< "$spec"
    ncu_fwd $tag $model $stage ${env//,/ }
  done
}
if [ "$mode" = ab ]; then
  SH=(${2:?shapes}); AB=(${3:?switches}); NCU=(${4:-}); jobs=""
  for sh in "${SH[@]}"; do for v in "${AB[@]}"; do jobs+=" $sh/$v"; done; done   # each variant in a process of its own
  compile_shapes 300 "$jobs"
  for sh in "${SH[@]}"; do
    timeout 200 python benchmarks/bench_ss2d.py --no-torch --rounds 7 --only ${sh%:*} --stages ${sh#*:} --ab "${AB[@]}" \
      --out $OUT/ab_${sh/:/}_$GPU.csv 2>&1 | grep -v Warning
    log "ab $sh rc=$?"
  done
  pack; NCU_COUNT=${NCU_COUNT:-2} run_ncu "${NCU[@]}"; log end; exit 0
fi
# record (call 1 lost its NCU: the compile loop's `set --` overwrote $3 before it was read)
AB=(${2:-}); NCU=${3:-}; ab_args=(); [ ${#AB[@]} -gt 0 ] && ab_args=(--ab "${AB[@]}")
mpid=""; have_mamba || { mamba 16 & mpid=$!; }
compile_shapes 260 "$ALL_SHAPES" "${ab_args[@]}"
wait_mamba "$mpid" 300
timeout 200 python benchmarks/bench_ss2d.py --no-torch --rounds 5 "${ab_args[@]}" --out $OUT/ss2d_rounds5_$GPU.csv \
  2>&1 | grep -v Warning
log "table rc=$?"
pack
run_ncu $NCU
log end
