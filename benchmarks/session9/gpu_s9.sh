#!/usr/bin/env bash
# Session 9's device calls for issue #10 (H100; one machine kept warm between the calls, so /tmp/tcache, /tmp/site and
# the mamba-ssm wheel carry over; a fresh machine restores .tcache and rebuilds mamba-ssm):
#
#   bash benchmarks/session9/gpu_s9.sh compile   # carry [".whl", ".sdists"] (+ ".tcache" if any): every Triton kernel
#        the later calls launch, compiled in parallel (the kernel tests on CUDA with -v, the variants of
#        bench_triton_variants.py, the models' bf16 training kernels through a short bench_models.py --epoch run) while
#        mamba-ssm builds; the cubins come back as $OUT/tcache.tgz
#   bash benchmarks/session9/gpu_s9.sh time      # same carry: A/B of the forward's lanes per channel (split1/2/4) at
#        VM-UNet s1 and ResMamba-ULite s1-s2, then bench_ss2d.py (the table: Triton against mamba-ssm + cross-scan/merge,
#        memory and multi-function-unit floors)
#   bash benchmarks/session9/gpu_s9.sh train     # carry [".whl", ".sdists", ".cache", ".tcache"] on a fresh machine:
#        the models' bf16 training kernels, one short Triton epoch per model in parallel processes (the bf16 backward
#        compiles for minutes; the compile call's short run did not finish them), and the kernel tests the compile call
#        left unfinished, while mamba-ssm builds; then the alternating A/B of the forward's lanes per channel
#        (ab_split.py; the compiles still run on the CPU); the cubins come back as $OUT/tcache.tgz
#   bash benchmarks/session9/gpu_s9.sh final     # carry [".whl", ".sdists", ".tcache"], after the default lanes per
#        channel (kernels._split_n) were set from train's A/B: the kernel tests on CUDA (-v) while mamba-ssm builds, then
#        test_matches_mamba_ssm, then bench_ss2d.py (the table of record)
#   bash benchmarks/session9/gpu_s9.sh rounds    # same carry: bench_ss2d.py --rounds 5 (Triton and mamba-ssm timed in
#        alternation, five rounds a shape and mode: the single-round tables of this session moved by up to ~10% between
#        runs at ResMamba-ULite s1, and one row doubled)
#   bash benchmarks/session9/gpu_s9.sh models    # same carry, on final's warm machine: ResMamba-ULite batch-1 latency and
#        batch-64 throughput, Triton, torch.compile + CUDA graph, bf16 (bench_models.py)
#   bash benchmarks/session9/gpu_s9.sh epoch     # carry [".whl", ".sdists", ".cache"]: one DSB2018 training epoch per
#        model and scan backend (bench_models.py --epoch, eager), with the eager inference rows
#
# Every log goes to $OUT as it is written; background jobs are waited for by pid (a bare `wait` also waits for the
# `>(tee)`, which never ends: session 6).
set -o pipefail
mode=${1:?usage: gpu_s9.sh compile|time|train|final|rounds|models|epoch}
case $mode in compile|time|train|final|rounds|models|epoch) ;;
  *) echo "gpu_s9.sh: unknown mode '$mode'; expected compile, time, train, final, rounds, models or epoch"; exit 2 ;; esac
exec > >(tee $OUT/gpu_s9_$mode.log) 2>&1
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl >/dev/null 2>&1
export PYTHONPATH=$PWD:/tmp/site PYTHONUNBUFFERED=1 TRITON_CACHE_DIR=/tmp/tcache
t0=$(date +%s); log() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
log "start $mode"; nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader
if [ ! -d /tmp/tcache ] && [ -f .tcache/tcache.tgz ]; then tar xzf .tcache/tcache.tgz -C /tmp && log "Triton cache restored: $(ls /tmp/tcache | wc -l) entries"; fi
[ -d /tmp/tcache ] && log "Triton cache: $(find /tmp/tcache -name '*.cubin' | wc -l) cubins"
mamba() { MAX_JOBS=${1:-16} bash tools/mamba-ssm-gpu.sh install .sdists > $OUT/mamba_build_$mode.log 2>&1; log "mamba-ssm rc=$?"; }
pack() {
  find /tmp/tcache -type f \( -name '*.llir' -o -name '*.ttir' -o -name '*.ttgir' -o -name '*.ptx' -o -name '*.source' \) -exec truncate -s 0 {} +
  log "cubins: $(find /tmp/tcache -name '*.cubin' | wc -l)"; tar czf $OUT/tcache.tgz -C /tmp tcache; ls -la $OUT/tcache.tgz
}
if [ "$mode" = compile ]; then
  pids=()
  mamba 4 & pids+=($!)
  (timeout 500 python -m pytest -v -n 6 -p no:cacheprovider tests/test_kernels.py > $OUT/pytest_kernels_cuda.log 2>&1; log "pytest rc=$?") & pids+=($!)
  for m in "vmunet 1" "resmamba_ulite 1" "resmamba_ulite 2"; do
    for v in default split2 split4; do
      (timeout 500 python benchmarks/bench_triton_variants.py --warm-one $m $v > "/tmp/wv_${m// /_}_$v.log" 2>&1; log "variant $m $v rc=$?") & pids+=($!)
    done
  done
  # the models' training kernels (bf16 under autocast): a 16-image epoch per model, Triton, eager
  (timeout 500 python benchmarks/bench_models.py --epoch --epoch-images 16 --modes eager --backends triton --quick \
     --models resmamba_ulite vm_unet sa_umamba lightm_unet --budget-s 480 --job-limit-s 470 --out /tmp/warm_models.csv \
     > $OUT/warm_models.log 2>&1; log "models rc=$?") & pids+=($!)
  wait "${pids[@]}"; log "compiles done"
  for f in /tmp/wv_*.log; do echo "== $f"; grep -v Warning $f | tail -3; done
  pack; log end; exit 0
fi
if [ "$mode" = train ]; then
  pids=()
  for m in resmamba_ulite vm_unet sa_umamba lightm_unet; do
    (timeout 530 python benchmarks/bench_models.py --epoch --epoch-images 8 --modes eager --backends triton --quick --models $m \
       --budget-s 520 --job-limit-s 520 --out /tmp/warm_$m.csv > $OUT/warm_train_$m.log 2>&1; log "train kernels $m rc=$?") & pids+=($!)
  done
  (timeout 530 python -m pytest -v -n 3 -p no:cacheprovider tests/test_kernels.py -k "13x17 or column or bf16" \
     > $OUT/pytest_kernels_cuda_rest.log 2>&1; log "pytest rc=$?") & pids+=($!)
  mamba 8
  timeout 300 python benchmarks/session9/ab_split.py --rounds 5 --out $OUT/ab_split.csv 2>&1 | grep -v Warning
  wait "${pids[@]}"; log "compiles done"
  pack; log end; exit 0
fi
if [ "$mode" = final ]; then
  (timeout 300 python -m pytest -v -n 4 -p no:cacheprovider tests/test_kernels.py -k "not mamba" > $OUT/pytest_kernels_cuda_final.log 2>&1; log "pytest rc=$?") & tp=$!
  mamba; wait $tp; tail -3 $OUT/pytest_kernels_cuda_final.log
  timeout 90 python -m pytest -v -p no:cacheprovider tests/test_kernels.py -k mamba 2>&1 | grep -E "PASS|FAIL|SKIP|passed|failed"
  timeout 150 python benchmarks/bench_ss2d.py --no-torch --out $OUT/ss2d_h100.csv 2>&1 | grep -v Warning
  pack; log end; exit 0
fi
if [ "$mode" = rounds ]; then
  mamba
  timeout 400 python benchmarks/bench_ss2d.py --no-torch --rounds 5 --out $OUT/ss2d_rounds5_h100.csv 2>&1 | grep -v Warning
  log end; exit 0
fi
if [ "$mode" = models ]; then
  timeout 520 python benchmarks/bench_models.py --models resmamba_ulite --backends triton --modes compile+cudagraph --quick \
    --budget-s 500 --job-limit-s 500 --out $OUT/models_resmamba_compile_h100.csv 2>&1 | grep -v Warning
  log end; exit 0
fi
if [ "$mode" = time ]; then
  mamba; python3 -c "import mamba_ssm; print('mamba_ssm', mamba_ssm.__version__)"
  for m in "vmunet 1" "resmamba_ulite 1" "resmamba_ulite 2"; do
    timeout 150 python benchmarks/bench_triton_variants.py --only $m --no-torch-check --reps 10 --out "$OUT/variants_${m// /_}.csv" 2>&1 | grep -v Warning
  done
  log "variants done"
  timeout 200 python benchmarks/bench_ss2d.py --no-torch --out $OUT/ss2d_h100.csv 2>&1 | grep -v Warning
  log end; exit 0
fi
mamba
timeout 540 python benchmarks/bench_models.py --epoch --modes eager --backends triton mamba_ssm --budget-s 480 --job-limit-s 200 \
  --out $OUT/models_epoch_h100.csv 2>&1 | grep -v Warning
log end
