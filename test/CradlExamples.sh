#!/usr/bin/env bash
# The examples, stage by stage, on a tiny data set; the map of CradlScoreScan
# must equal the `cradl` tool's map of the same scan with the same models.
#   CradlExamples.sh CRADL EXAMPLES_DIR PYTHON WORK_FOLDER
set -euo pipefail
cradl=$1 examples=$2 python=$3 work=$4
rm -rf "$work" && mkdir -p "$work/tool" "$work/maps"
"$cradl" make-dataset --out "$work/data" --train 3 --val 1 --test 1 --spacing 4 --seed 2 2>/dev/null
"$examples/CradlTrainEncoder" "$work/data/train.csv" "$work/data/val.csv" "$work/encoder.pt" 2 64 4 16 >/dev/null
"$examples/CradlFitMixture" "$work/encoder.pt" "$work/data/train.csv" "$work/data/val.csv" "$work/mixture.pt" 1,2 \
  >"$work/fit.log"
grep -q "^kept K=[12] by validation AUPRC" "$work/fit.log" || { cat "$work/fit.log"; exit 1; }
scan=$(sed -n 2p "$work/data/test.csv" | cut -d, -f1)
mask=$(sed -n 2p "$work/data/test.csv" | cut -d, -f2)
"$examples/CradlScoreScan" "$work/encoder.pt" "$work/mixture.pt" "$work/data/$scan" "$work/data/$mask" \
  "$work/maps/test_000_anomaly.nii.gz" >"$work/nll.txt"
"$examples/CradlEvaluateMaps" "$work/data/test.csv" "$work/maps" >"$work/metrics.txt"
grep -q "^map, all pixels: AUROC 0\.[0-9]" "$work/metrics.txt" || { cat "$work/metrics.txt"; exit 1; }
# The tool, given the examples' models, makes the very same map.
cp "$work/encoder.pt" "$work/mixture.pt" "$work/tool/"
"$cradl" score --test "$work/data/test.csv" --out "$work/tool" 2>/dev/null
"$python" - "$work/maps/test_000_anomaly.nii.gz" "$work/tool/maps/test_000_anomaly.nii.gz" <<'PY'
import gzip, struct, sys
def voxels(path):
    raw = gzip.open(path).read()
    return raw[int(struct.unpack("<f", raw[108:112])[0]):]
a, b = voxels(sys.argv[1]), voxels(sys.argv[2])
assert len(a) > 0 and a == b, "the example's map differs from the tool's"
PY
echo "examples: train, fit, select, score and evaluate ran; the map equals the tool's"
