#!/usr/bin/env bash
# Session 5, call 2: A/B of the session-4 and current kernels; Nsight Compute warp-state summary of the new forward.
set -o pipefail
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl >/dev/null 2>&1
export PYTHONPATH=$PWD:/tmp/site PYTHONUNBUFFERED=1
t0=$(date +%s); log() { echo "[$(( $(date +%s) - t0 )) s] $*"; }
python benchmarks/session5/ab_s5.py --warm 2>&1 | grep -v Warn | tail -5; log warm
python benchmarks/session5/ab_s5.py --out $OUT/ab_s5.csv 2>&1 | grep -v Warn | tee $OUT/ab_s5.log; log ab
python benchmarks/kernel_stats.py --shape vmunet 1 --backward > $OUT/kstats.txt 2>&1
python benchmarks/kernel_stats.py --shape resmamba_ulite 1 --backward >> $OUT/kstats.txt 2>&1; grep -v Warn $OUT/kstats.txt
ncu --clock-control none --section WarpStateStats --section SchedulerStats --section LaunchStats --section Occupancy --section InstructionStats --section SpeedOfLight \
  --kernel-name regex:'_fwd_kernel|_bwd_kernel' --launch-skip 2 --launch-count 2 python benchmarks/kernel_stats.py --shape vmunet 1 --backward > $OUT/ncu_vm.txt 2>&1
log "ncu rc=$?"; grep -E "_fwd_kernel|_bwd_kernel|Duration|Issued Warp|Warp Cycles Per Issued|Stall (Misc|Wait|Long|Short|Math|Not Sel|MIO|LG)|Instructions Executed|Achieved Active Warps|Registers Per" $OUT/ncu_vm.txt | head -60
log end
