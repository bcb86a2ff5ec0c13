#!/usr/bin/env bash
# Session 5, call 3: A/B (session-4 kernels, current, backward variants); ncu source counters of the current kernels.
set -o pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl >/dev/null 2>&1
export PYTHONPATH=$PWD:/tmp/site PYTHONUNBUFFERED=1
t0=$(date +%s); log() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
python benchmarks/session5/ab_s5.py --warm 2>&1 | grep -v Warn | tail -5; log warm
python benchmarks/session5/ab_s5.py --out $OUT/ab_s5b.csv 2>&1 | grep -v Warn | tee $OUT/ab_s5b.log; log ab
NCU="ncu --clock-control none --set full --import-source no"
$NCU --kernel-name regex:'_fwd_kernel|_bwd_kernel' --launch-skip 2 --launch-count 2 -o /tmp/vm python benchmarks/kernel_stats.py --shape vmunet 1 --backward > /tmp/n.log 2>&1; log "ncu rc=$?"
ncu -i /tmp/vm.ncu-rep --page details --print-details all > $OUT/vm_details.txt 2>&1
ncu -i /tmp/vm.ncu-rep --page source --csv --print-source sass > $OUT/vm_sass.csv 2>&1
grep -E "^  _|Duration|Issued Warp|Warp Cycles Per Issued|Registers Per|Executed Instructions  " $OUT/vm_details.txt
grep -A22 "Warp State (All Cycles)" $OUT/vm_details.txt | grep -E "Stall|Selected" | head -30
log end
