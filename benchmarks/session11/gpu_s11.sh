#!/usr/bin/env bash
# Session 11's device calls for issue #10 (H100), on the set-up of benchmarks/gpu_common.sh:
#
#   bash benchmarks/session11/gpu_s11.sh ab     # carry [".whl", ".sdists", ".tcache"]: mamba-ssm builds while the
#        kernels compile (one process per shape of bench_ss2d.py, each also with MEDSEGMAMBA_TRITON_BWD_PARTS=1, and one
#        per variant of bench_triton_variants.py at ResMamba-ULite s1); then those variants in five alternating rounds
#        with parity (the backward's two launches against session 10's one, sweep 1's load group, a register cap; while
#        mamba-ssm still builds, else last), and bench_ss2d.py --no-torch --rounds 5 --ab MEDSEGMAMBA_TRITON_BWD_PARTS=1
#        (the table: Triton, Triton as in session 10 and mamba-ssm + cross-scan/merge in alternation); the cubins come
#        back as $OUT/tcache.tgz; with time left, torch.profiler's kernel table at ResMamba-ULite s1 for both backwards
#   bash benchmarks/session11/gpu_s11.sh record # same carry (.tcache: ab's cubins), after ab set the defaults (two
#        launches, sweep 1 one step a load group): mamba-ssm builds while every shape's kernels compile, then
#        bench_ss2d.py --no-torch --rounds 5 --ab MEDSEGMAMBA_TRITON_BWD_PARTS=1 MEDSEGMAMBA_TRITON_BWD1_CHUNK=2 (the
#        table of record, with session 10's backward and call 1's default as A/B columns) and the profile of the default
#   bash benchmarks/session11/gpu_s11.sh s10    # carry [".whl", ".tcache", ".cache"] (.cache/kernels_s10.py: commit
#        0788a33's medsegmamba/kernels.py): VM-UNet s1 (and in call 5 ResMamba-ULite s1) forward+backward, this code
#        against session 10's in alternation
#        (session11/ab_s10.py; call 3's table had 7.29 ms there against session 10's 6.68; call 4: 7.25 against 6.60,
#        then the adjoint carry loaded first again, call 5)
#   (calls 1-5 ran ab, record (failed: the load-group switch at the plain scan), record, s10, s10: results/session11/README.md)
#
# Every log goes to $OUT as it is written; background jobs are waited for by pid.
mode=${1:?usage: gpu_s11.sh ab|record|s10}
case $mode in ab|record|s10) ;; *) echo "gpu_s11.sh: unknown mode '$mode'; expected ab, record or s10"; exit 2 ;; esac
source benchmarks/gpu_common.sh
AB="MEDSEGMAMBA_TRITON_BWD_PARTS=1"
VARS="parts1 bwd1_chunk1 bwd_chunk1 maxnreg168 maxnreg168_c1"
if [ "$mode" = ab ]; then
  mpid=""; have_mamba || { mamba 6 & mpid=$!; }
  pids=()
  (timeout 300 python benchmarks/bench_triton_variants.py --warm-only --only resmamba_ulite 1 --variants $VARS \
     > /tmp/wv.log 2>&1; log "variants compiled rc=$?") & pids+=($!)
  for m in "vmunet 1" "vmunet 2" "vmunet 3" "vmunet 4" "resmamba_ulite 2" "resmamba_ulite 3" "resmamba_ulite 4" \
           "resmamba_ulite 5" "lightm_unet 1" "lightm_unet 2" "lightm_unet 3" "lightm_unet 4"; do
    set -- $m
    (timeout 300 python benchmarks/bench_ss2d.py --no-torch --only $1 --stages $2 --warmup 1 --reps 1 --ab $AB \
       --out /tmp/w_$1_$2.csv > /tmp/wb_$1_$2.log 2>&1; log "compiled $m rc=$?") & pids+=($!)
  done
  wait "${pids[@]}"; log "compiles done"
  for f in /tmp/wv.log /tmp/wb_*.log; do grep -q "Error\|Abort\|error:" $f && { echo "== $f"; grep -v Warning $f | tail -25; }; done
  variants() {
    timeout 90 python benchmarks/bench_triton_variants.py --only resmamba_ulite 1 --variants $VARS --no-torch-check \
      --reps 10 --rounds 5 --out $OUT/variants_rm1_$GPU.csv 2>&1 | grep -v Warning; }
  # the variants while mamba-ssm still builds, else after the table
  [ -n "$mpid" ] && kill -0 $mpid 2>/dev/null && { variants; done_v=1; }
  # mamba-ssm gets until 340 s into the call; past that the table runs without it (Triton rows only)
  while [ -n "$mpid" ] && kill -0 $mpid 2>/dev/null && [ $(( $(date +%s) - t0 )) -lt 340 ]; do sleep 5; done
  [ -n "$mpid" ] && kill -0 $mpid 2>/dev/null && { pkill -P $mpid; kill $mpid; log "mamba-ssm build stopped: no time left"; }
  timeout 150 python benchmarks/bench_ss2d.py --no-torch --rounds 5 --ab $AB --out $OUT/ss2d_rounds5_$GPU.csv 2>&1 | grep -v Warning
  [ -z "$done_v" ] && variants
  # torch.profiler's kernel table at ResMamba-ULite s1 for the two backwards, if the call has time left
  if [ $(( $(date +%s) - t0 )) -lt 500 ]; then
    for p in 2 1; do
      MEDSEGMAMBA_TRITON_BWD_PARTS=$p timeout 40 python benchmarks/session10/prof_bwd.py --shape resmamba_ulite 1 \
        --out /tmp/prof_p$p.txt >/dev/null 2>&1; echo "== MEDSEGMAMBA_TRITON_BWD_PARTS=$p"; cat /tmp/prof_p$p.txt
    done > $OUT/prof_rm1_parts_$GPU.txt; log "profiles done"
  fi
  pack; log end; exit 0
fi
if [ "$mode" = record ]; then
  AB2="$AB MEDSEGMAMBA_TRITON_BWD1_CHUNK=2"
  mpid=""; have_mamba || { mamba 16 & mpid=$!; }
  pids=()
  for m in "vmunet 1" "vmunet 2" "vmunet 3" "vmunet 4" "resmamba_ulite 1" "resmamba_ulite 2" "resmamba_ulite 3" \
           "resmamba_ulite 4" "resmamba_ulite 5" "lightm_unet 1" "lightm_unet 2" "lightm_unet 3" "lightm_unet 4"; do
    set -- $m
    (timeout 240 python benchmarks/bench_ss2d.py --no-torch --only $1 --stages $2 --warmup 1 --reps 1 --ab $AB2 \
       --out /tmp/w_$1_$2.csv > /tmp/wb_$1_$2.log 2>&1; log "compiled $m rc=$?") & pids+=($!)
  done
  wait "${pids[@]}"; log "compiles done"
  for f in /tmp/wb_*.log; do grep -q "Error\|Abort\|error:" $f && { echo "== $f"; grep -v Warning $f | tail -25; }; done
  while [ -n "$mpid" ] && kill -0 $mpid 2>/dev/null && [ $(( $(date +%s) - t0 )) -lt 270 ]; do sleep 5; done
  [ -n "$mpid" ] && kill -0 $mpid 2>/dev/null && { pkill -P $mpid; kill $mpid; log "mamba-ssm build stopped: no time left"; }
  timeout 160 python benchmarks/bench_ss2d.py --no-torch --rounds 5 --ab $AB2 --out $OUT/ss2d_rounds5_$GPU.csv 2>&1 | grep -v Warning
  if [ $(( $(date +%s) - t0 )) -lt 460 ]; then
    timeout 40 python benchmarks/session10/prof_bwd.py --shape resmamba_ulite 1 --out $OUT/prof_rm1_$GPU.txt >/dev/null 2>&1
    log "profile rc=$?"
  fi
  pack; log end; exit 0
fi
if [ "$mode" = s10 ]; then
  pids=()
  for sh in vmunet:1 resmamba_ulite:1; do
    (timeout 230 python benchmarks/session11/ab_s10.py --old .cache/kernels_s10.py --shapes $sh --rounds 0 \
       > /tmp/w_$sh.log 2>&1; log "compiled $sh rc=$?") & pids+=($!)
  done
  wait "${pids[@]}"
  timeout 60 python benchmarks/session11/ab_s10.py --old .cache/kernels_s10.py --shapes vmunet:1 resmamba_ulite:1 \
    --rounds 5 --out $OUT/ab_s10_$GPU.csv 2>&1 | grep -v Warning
  log end; exit 0
fi
