#!/usr/bin/env bash
# The main job on a fresh Debian bookworm machine (as root): installs what is
# missing, builds, makes the default data set from the Colin27 brain, trains,
# fits, scores and evaluates with the demo configuration, and prints the
# metrics table (CRADL beside the |z-scored intensity| baseline).
#   bash scripts/main-job.sh [OUT]        (default: demo; data in OUT/data)
# Environment: CRADL_CONFIG (default examples/demo-config.json), CRADL_DEVICE (cpu).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-demo}
bash scripts/build.sh
cradl=${CRADL_BUILD_DIR:-build}/apps/cradl
if [ ! -f "$out/data/test.csv" ]; then
  "$cradl" make-dataset --out "$out/data"
fi
"$cradl" run --config "${CRADL_CONFIG:-examples/demo-config.json}" --device "${CRADL_DEVICE:-cpu}" \
  --train "$out/data/train.csv" --val "$out/data/val.csv" --test "$out/data/test.csv" --out "$out/run"
echo "outputs: $out/run (report/index.html, metrics.json, maps/, slices/, scores.csv, encoder.pt, mixture.pt)"
