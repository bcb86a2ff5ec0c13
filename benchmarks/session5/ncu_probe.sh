#!/usr/bin/env bash
# Session 5 probe: registers/spills of the fused SS2D kernels, and Nsight Compute (full set) on one launch each.
set -o pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl >/dev/null 2>&1
export PYTHONPATH=$PWD:/tmp/site PYTHONUNBUFFERED=1
t0=$(date +%s); log() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
which ncu; ncu --version | tail -1
python benchmarks/kernel_stats.py --shape vmunet 1 --backward --json $OUT/stats_vmunet1.json > $OUT/stats_vmunet1.txt 2>&1 &
python benchmarks/kernel_stats.py --shape resmamba_ulite 1 --backward --json $OUT/stats_resmamba1.json > $OUT/stats_resmamba1.txt 2>&1 &
wait; log compiled; cat $OUT/stats_*.txt | grep -v Warn
NCU="ncu --clock-control none --set full --import-source no"
$NCU --kernel-name _fwd_kernel --launch-skip 1 --launch-count 1 -o $OUT/vm_fwd python benchmarks/kernel_stats.py --shape vmunet 1 > /tmp/n1.log 2>&1; log "ncu vm fwd rc=$?"; tail -3 /tmp/n1.log
$NCU --kernel-name _bwd_kernel --launch-skip 1 --launch-count 1 -o $OUT/vm_bwd python benchmarks/kernel_stats.py --shape vmunet 1 --backward > /tmp/n2.log 2>&1; log "ncu vm bwd rc=$?"; tail -3 /tmp/n2.log
$NCU --kernel-name _fwd_kernel --launch-skip 2 --launch-count 2 -o $OUT/rm_fwd python benchmarks/kernel_stats.py --shape resmamba_ulite 1 > /tmp/n3.log 2>&1; log "ncu rm fwd rc=$?"; tail -3 /tmp/n3.log
for r in vm_fwd vm_bwd rm_fwd; do
  ncu -i $OUT/$r.ncu-rep --page details --print-details all > $OUT/${r}_details.txt 2>&1
  ncu -i $OUT/$r.ncu-rep --page source --csv --print-source sass > $OUT/${r}_sass.csv 2>&1
  ls -la $OUT/${r}_*
done
head -c 3000 $OUT/vm_fwd_sass.csv
grep -A40 "Warp State Statistics" $OUT/vm_fwd_details.txt | head -80
log end
