#!/usr/bin/env bash
# AUPRCMetric against sklearn (../shared/anchors/auprc_sklearn.py), in one run on
# this machine: prints the anchor's JSON line, then cradl's per size, then the ratios.
#   bash scripts/bench/metrics.sh [build-dir] [slices...]     (default: build 1000 7105)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bash "$repo/scripts/bench/cpu.sh"
build=${1:-$repo/build}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 7105)
anchors=${CRADL_ANCHORS:-$repo/../shared/anchors}
out=$(mktemp -d)
"$anchors/auprc_sklearn.py" --slices "${sizes[@]}" --repeats 1 --metrics ap auroc >"$out/anchor.json"
cat "$out/anchor.json"
for slices in "${sizes[@]}"; do
  "$build/apps/cradl-bench" metrics --slices "$slices" | tee -a "$out/cradl.json"
done
# Identical values: the anchor's own data for the first size, sklearn at full precision.
/usr/bin/python3 - "$anchors" "${sizes[0]}" "$out" <<'PY'
import sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from auprc_sklearn import make_data, SLICE
labels, scores = make_data(int(sys.argv[2]) * SLICE)
np.save(sys.argv[3] + "/scores.npy", scores)
np.save(sys.argv[3] + "/labels.npy", labels)
PY
/usr/bin/python3 "$repo/test/python/ranking_oracle.py" "$out/scores.npy" "$out/labels.npy" | tee "$out/oracle.txt"
"$build/apps/cradl-bench" metrics --scores "$out/scores.npy" --labels "$out/labels.npy" | tee "$out/same-data.json"
/usr/bin/python3 - "$out/oracle.txt" "$out/same-data.json" <<'PY'
import json, sys
oracle = dict(line.split() for line in open(sys.argv[1]))
mine = json.loads(open(sys.argv[2]).read())
for key, name in (("auprc", "auprc"), ("auroc", "auroc"), ("fpr95", "fpr_at_95_tpr"), ("best_dice", "best_dice")):
    print(f"same data: {key} cradl {mine[name]:.17g} sklearn {float(oracle[key]):.17g} |diff| {abs(mine[name] - float(oracle[key])):.2e}")
PY

/usr/bin/python3 - "$out/anchor.json" "$out/cradl.json" <<'PY'
import json, sys
anchor = json.loads(open(sys.argv[1]).read())
ours = [json.loads(line) for line in open(sys.argv[2])]
for result, mine in zip(anchor["results"], ours):
    ap, auc = result["ap"], result["auroc"]
    sk_seconds = ap["wall_s"]["median"] + auc["wall_s"]["median"]
    sk_peak = max(ap["peak_rss_MiB"], auc["peak_rss_MiB"])
    sk_delta = max(ap["peak_minus_before_MiB"], auc["peak_minus_before_MiB"])
    print(f"slices {result['slices']}: sklearn AP+AUROC {sk_seconds:.2f} s, peak {sk_peak:.0f} MiB (+{sk_delta:.0f}); "
          f"cradl {mine['seconds']:.3f} s, peak {mine['peak_rss_mib']:.0f} MiB (+{mine['peak_minus_before_mib']:.0f}); "
          f"speed-up {sk_seconds / mine['seconds']:.1f}x, peak ratio {mine['peak_rss_mib'] / sk_peak:.3f}, "
          f"added-memory ratio {mine['peak_minus_before_mib'] / sk_delta:.3f}; "
          f"AUPRC {mine['auprc']:.6f} vs {ap['value']}, AUROC {mine['auroc']:.6f} vs {auc['value']}")
PY
