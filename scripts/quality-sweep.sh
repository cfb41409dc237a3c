#!/usr/bin/env bash
# Quality against seeds and training budget on the default data set: runs
# `cradl run` for each seed and configuration and prints, per configuration,
# the mean and spread (sample standard deviation) over seeds of every map's
# figures inside the brain, per anomaly kind, beside the intensity baseline.
#   bash scripts/quality-sweep.sh [OUT] [SEEDS] [CONFIGS]
#   SEEDS default "0 1 2"; CONFIGS default "e10 e30 e100" (64 px, the demo
#   configuration with 10, 30, 100 epochs); "px128" adds 128 px, 30 epochs;
#   "nfN" the demo configuration with N base channels, "lrX" learning rate X,
#   "wN" N warm-up epochs, "fp32" float32 training where bfloat16 would be
#   the default, "plDIGITS" the layers with a patch density ("pl012": ReLUs
#   0, 1, 2); parts join with commas: "e10,lr0.001,w1".
#   CRADL_HELD_OUT: the anomaly kind validation never gets (default ring),
#   so that a kind can be kept out of every choice made on validation.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-quality}
seeds=${2:-"0 1 2"}
configs=${3:-"e10 e30 e100"}
bash scripts/build.sh >/dev/null
cradl=${CRADL_BUILD_DIR:-build}/apps/cradl
[ -f "$out/data/test.csv" ] || "$cradl" make-dataset --out "$out/data" --held-out-kind "${CRADL_HELD_OUT:-ring}" >/dev/null
for config in $configs; do
  args=()
  IFS=, read -r -a parts <<<"$config"
  for part in "${parts[@]}"; do
    case $part in
      e*) args+=(--epochs "${part#e}") ;;
      px128) args+=(--slice-size 128 --epochs 30) ;;
      nf*) args+=(--nf "${part#nf}") ;;
      lr*) args+=(--lr "${part#lr}") ;;
      w*) args+=(--warmup-epochs "${part#w}") ;;
      fp32) args+=(--mixed-precision 0) ;;
      pl*) layers=${part#pl}; args+=(--patch-layers "$(echo "$layers" | sed 's/./&,/g; s/,$//')") ;;
      *) echo "unknown configuration $part" >&2; exit 2 ;;
    esac
  done
  for seed in $seeds; do
    run="$out/$config-seed$seed"
    start=$(date +%s)
    "$cradl" run --config examples/demo-config.json "${args[@]}" --seed "$seed" --train "$out/data/train.csv" \
      --val "$out/data/val.csv" --test "$out/data/test.csv" --out "$run" >"$run.log" 2>&1
    echo "$config seed $seed: $(( $(date +%s) - start )) s" >&2
  done
done
/usr/bin/python3 test/python/quality_summary.py "$out" $configs
