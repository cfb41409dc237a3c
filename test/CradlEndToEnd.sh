#!/usr/bin/env bash
# A tiny `cradl run` on a tiny default data set, then the Python checks.
#   CradlEndToEnd.sh CRADL PYTHON CHECK_SCRIPT WORK_FOLDER
set -euo pipefail
cradl=$1 python=$2 check=$3 work=$4
rm -rf "$work"
"$cradl" make-dataset --out "$work/data" --train 3 --val 1 --test 2 --spacing 4 --seed 1 2>/dev/null
"$cradl" run --train "$work/data/train.csv" --val "$work/data/val.csv" --test "$work/data/test.csv" \
  --out "$work/out" --slice-size 64 --nf 4 --nz 16 --epochs 2 --batch 8 --warmup-epochs 1 --components 1,2 --threads 2
# A second run skips every finished stage.
"$cradl" run --train "$work/data/train.csv" --val "$work/data/val.csv" --test "$work/data/test.csv" \
  --out "$work/out" --slice-size 64 --nf 4 --nz 16 --epochs 2 --batch 8 --warmup-epochs 1 2>"$work/rerun.log" >/dev/null
grep -q "encoder.pt' exists, skipped" "$work/rerun.log"
"$python" "$check" "$work/data/test.csv" "$work/out"
