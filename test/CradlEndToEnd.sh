#!/usr/bin/env bash
# A tiny `cradl run` on a tiny default data set, then the Python checks.
#   CradlEndToEnd.sh CRADL PYTHON CHECK_SCRIPT WORK_FOLDER
set -euo pipefail
cradl=$1 python=$2 check=$3 work=$4
rm -rf "$work"
"$cradl" make-dataset --out "$work/data" --train 3 --val 1 --test 2 --spacing 4 --seed 1 2>/dev/null
"$cradl" run --train "$work/data/train.csv" --val "$work/data/val.csv" --test "$work/data/test.csv" \
  --out "$work/out" --slice-size 64 --nf 4 --nz 16 --epochs 2 --batch 8 --warmup-epochs 1 --components 1,2 --threads 2
args=(--val "$work/data/val.csv" --out "$work/out" --slice-size 64 --nf 4 --nz 16
  --epochs 2 --batch 8 --warmup-epochs 1 --components 1,2 --threads 2)
# A second run with the same inputs skips every stage.
"$cradl" run "${args[@]}" --train "$work/data/train.csv" --test "$work/data/test.csv" 2>"$work/rerun.log" >/dev/null
for stage in train fit select score; do
  grep -q "^cradl: $stage: up to date, skipped" "$work/rerun.log" || { cat "$work/rerun.log"; exit 1; }
done
"$python" "$check" "$work/data/test.csv" "$work/out"
# --score-mode auto scores with the map and sigma select chose: the same maps
# as asking for that map and sigma outright.
read -r mode sigma < <("$python" -c "import torch, sys; f = torch.load(sys.argv[1])['fit']; print(f['score_mode'], f['score_sigma'])" "$work/out/mixture.pt")
mkdir -p "$work/explicit" && cp "$work/out/encoder.pt" "$work/out/mixture.pt" "$work/explicit/"
"$cradl" score --test "$work/data/test.csv" --out "$work/explicit" --score-mode "$mode" --sigma "$sigma" 2>/dev/null
for map in "$work/out/maps/"*_anomaly.nii.gz; do
  cmp -s <(gzip -dc "$map") <(gzip -dc "$work/explicit/maps/$(basename "$map")") ||
    { echo "auto's $(basename "$map") is not the $mode map at sigma $sigma"; exit 1; }
done
# The settings table writes OUT/config.json and reads it back to the same settings.
"$cradl" select --config "$work/out/config.json" 2>"$work/config.log"
grep -q "^cradl: select: up to date, skipped" "$work/config.log" || { cat "$work/config.log"; exit 1; }
# The mixture is chosen under the scoring settings: another sigma chooses again.
"$cradl" select --config "$work/out/config.json" --sigma 2 2>"$work/select-sigma.log"
grep -q "^cradl: select: setting 'sigma' changed, running" "$work/select-sigma.log" || { cat "$work/select-sigma.log"; exit 1; }
"$cradl" select --config "$work/out/config.json" 2>/dev/null # back to the run's own settings

# Outputs follow their inputs: another test manifest is scored again ...
head -n 2 "$work/data/test.csv" >"$work/data/one.csv"
"$cradl" score "${args[@]}" --train "$work/data/train.csv" --test "$work/data/one.csv" 2>"$work/other.log"
grep -q "^cradl: score: test manifest is another file, running" "$work/other.log" || { cat "$work/other.log"; exit 1; }
scored=$(tail -n +2 "$work/out/scores.csv" | cut -d, -f1 | sort -u | wc -l)
[ "$scored" -eq 1 ] || { echo "scores.csv holds $scored scans, expected the 1 of one.csv"; exit 1; }
# ... and so is one whose map was deleted, or whose setting changed.
rm "$work/out/maps/"*_raw.nii.gz
"$cradl" score "${args[@]}" --train "$work/data/train.csv" --test "$work/data/one.csv" 2>"$work/missing.log"
grep -q "^cradl: score: '.*_raw.nii.gz' is missing, running" "$work/missing.log" || { cat "$work/missing.log"; exit 1; }
"$cradl" score "${args[@]}" --train "$work/data/train.csv" --test "$work/data/one.csv" --sigma 2 2>"$work/sigma.log"
grep -q "^cradl: score: setting 'sigma' changed, running" "$work/sigma.log" || { cat "$work/sigma.log"; exit 1; }
# A changed training manifest retrains, and what depends on the encoder follows.
head -n 3 "$work/data/train.csv" >"$work/data/train2.csv"
"$cradl" run "${args[@]}" --train "$work/data/train2.csv" --test "$work/data/one.csv" 2>"$work/retrain.log" >/dev/null
for line in "train: training manifest is another file, running" "fit: training manifest is another file, running" \
  "select: candidate K=1 changed, running" "score: encoder changed, running"; do
  grep -q "^cradl: $line" "$work/retrain.log" || { echo "no '$line'"; cat "$work/retrain.log"; exit 1; }
done

# Bad input: clear one-line errors, no C++ backtrace, no object address.
expect_clean_error() { # LOG WORDS...
  local log=$1; shift
  grep -q "$*" "$log" || { echo "no '$*' in:"; cat "$log"; exit 1; }
  if grep -q -E "frame #|Exception raised from|0x[0-9a-f]{6,}" "$log"; then echo "unclean message:"; cat "$log"; exit 1; fi
}
mkdir -p "$work/damaged"
head -c 2000 "$work/out/encoder.pt" >"$work/damaged/encoder.pt"
cp "$work/out/mixture.pt" "$work/damaged/"
if "$cradl" score --test "$work/data/one.csv" --out "$work/damaged" 2>"$work/damaged.log"; then exit 1; fi
expect_clean_error "$work/damaged.log" "damaged/encoder.pt' is not a readable Cradl"
# A NaN voxel in the brain: an error naming the file and the count, or zeroed on request.
"$python" - "$work/data" <<'PY'
import gzip, struct, sys, numpy as np
data = sys.argv[1]
raw = gzip.open(f"{data}/images/test_000.nii.gz").read()
offset = int(struct.unpack("<f", raw[108:112])[0])
mask = gzip.open(f"{data}/masks/test_000_brain.nii.gz").read()
inside = np.flatnonzero(np.frombuffer(mask[offset:], dtype=np.uint8))
voxels = np.frombuffer(raw[offset:], dtype=np.float32).copy()
voxels[inside[len(inside) // 2]] = np.nan
open(f"{data}/nan.nii.gz", "wb").write(gzip.compress(raw[:offset] + voxels.tobytes()))
open(f"{data}/nan.csv", "w").write("image,mask\nnan.nii.gz,masks/test_000_brain.nii.gz\n")
PY
if "$cradl" score --test "$work/data/nan.csv" --out "$work/out" 2>"$work/nan.log"; then exit 1; fi
expect_clean_error "$work/nan.log" "nan.nii.gz' has 1 NaN or infinite voxel inside the brain mask"
"$cradl" score --test "$work/data/nan.csv" --out "$work/out" --nan-policy zero 2>"$work/nan-zero.log"
grep -q "^nan," "$work/out/scores.csv"
echo "end-to-end: every check passed"
