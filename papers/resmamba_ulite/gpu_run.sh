#!/usr/bin/env bash
# The exact H100 call behind papers/resmamba_ulite/results (issue #9), run from the repo root on the device machine
# with .cache/ (DSB2018 cache: benchmarks/build_cache.py), .whl/ (papermill & co. for Python 3.12) and .sdists/ carried.
# Session 1 ran it once and every training run failed at once (papermill needs the output folder to exist; fixed
# below with mkdir) before the device time ran out, so results/ holds no GPU numbers yet. Plan for one 10-minute call: U-Net trains while mamba-ssm builds, then the GPU parity tests,
# then ResMamba-ULite (strict, then faithful if time is left), then reproduce.ipynb assembles the tables.
export PYTHONUNBUFFERED=1 MPLBACKEND=Agg; SECONDS=0
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl >/dev/null 2>&1
export PYTHONPATH=$PWD:/tmp/site
(bash tools/mamba-ssm-gpu.sh install .sdists > $OUT/mamba_build.log 2>&1) & B=$!
R=runs/repro_resmamba; E=15; mkdir -p $R
run() { n=$1; m=$2; v=$3; s=$4; lim=$5; p=resmamba_ulite/dsb2018; [ $v = strict ] && p=$p/strict
  mkdir -p $R/$n; echo "== $n start at ${SECONDS}s (limit ${lim}s)"
  timeout $((lim+40)) python3 -m papermill nbs/train.ipynb $R/$n/train.ipynb -p dataset dsb2018 -p model $m -p protocol $p \
    -p data_dir .cache/dsb2018_256.npz -p epochs $E -p batch_size 0 -p img_size 0 -p lr 0 -p seed $s -p fold -1 \
    -p device cuda -p out_dir $R/$n -p resume True -p time_limit_s $lim > $R.$n.log 2>&1
  echo "== $n rc=$? at ${SECONDS}s"; tail -n 2 $R/$n/history.csv | cut -c1-80; }
for s in 0 1 2; do run dsb2018__unet__strict__s$s unet strict $s 70; done 2>&1 | tee $OUT/log.txt
wait $B; tail -1 $OUT/mamba_build.log | tee -a $OUT/log.txt
run dsb2018__resmamba_ulite__strict__s0 resmamba_ulite strict 0 $((430 - SECONDS)) 2>&1 | tee -a $OUT/log.txt
timeout 60 python3 -m pytest -q tests/test_ops.py tests/test_models.py -k gpu 2>&1 | tail -5 | tee $OUT/gpu_parity_pytest.log
left=$((470 - SECONDS)); [ $left -gt 80 ] && run dsb2018__resmamba_ulite__faithful__s0 resmamba_ulite faithful 0 $left 2>&1 | tee -a $OUT/log.txt
timeout $((585 - SECONDS)) python3 -m papermill papers/resmamba_ulite/reproduce.ipynb $OUT/reproduce.ipynb -p assemble_only True \
  -p device cuda -p epochs $E -y '{"data_roots": {"dsb2018": ".cache/dsb2018_256.npz"}}' > $OUT/assemble.log 2>&1
echo "assemble rc=$? at ${SECONDS}s" | tee -a $OUT/log.txt
tar czf $OUT/results.tgz papers/resmamba_ulite/results papers/resmamba_ulite/weights
(cd runs && tar czf $OUT/runs_small.tgz --exclude='*.pt' --exclude='model.safetensors' repro_resmamba repro_resmamba.*.log)
ls -la $OUT; echo "total ${SECONDS}s"
