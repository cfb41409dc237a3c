#!/usr/bin/env bash
# NLL-gradient scoring and post-processing against the anchors
# (simclr_torch.py --part score, postprocess_scipy.py), in one run.
#   bash scripts/bench/scoring.sh [build-dir] [threads]     (default: build 2)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bash "$repo/scripts/bench/cpu.sh"
build=${1:-$repo/build}
threads=${2:-2}
anchors=${CRADL_ANCHORS:-$repo/../shared/anchors}
out=$(mktemp -d)
"$anchors/simclr_torch.py" --part score --threads "$threads" --score-modes batched forward >"$out/score-anchor.json"
"$build/apps/cradl-bench" nllgrad --slices 512 --batch 64 --components 4 --threads "$threads" | tee "$out/nllgrad.json"
# The forward-only patch map on the same slices and encoder, for the ratio:
# by position cell (the default) and pooled (one Gaussian per layer).
"$build/apps/cradl-bench" nllgrad --map patch --slices 512 --batch 64 --threads "$threads" | tee "$out/patch.json"
"$build/apps/cradl-bench" nllgrad --map patch-pooled --slices 512 --batch 64 --threads "$threads" |
  tee "$out/patch-pooled.json"
"$anchors/postprocess_scipy.py" --slices 1000 >"$out/post-anchor.json"
for args in "--sigma 3 --gaussian-radius 3" "--sigma 1 --gaussian-radius 4" "--sigma 2 --gaussian-radius 8"; do
  # shellcheck disable=SC2086
  "$build/apps/cradl-bench" postprocess --slices 1000 --threads "$threads" $args | tee -a "$out/post.jsonl"
done
/usr/bin/python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
anchor = json.loads(open(out + "/score-anchor.json").read())
score = anchor.get("score", anchor)
if isinstance(score, list):
    score = score[0]
mine = json.loads(open(out + "/nllgrad.json").read())
print(f"nllgrad: cradl {mine['slices_per_s']:.1f} slices/s vs PyTorch batched {score['batched_slices_per_s']} "
      f"(forward only {score.get('forward_only_slices_per_s')}): {mine['slices_per_s'] / score['batched_slices_per_s']:.2f}x")
for name in ("patch", "patch-pooled"):
    patch = json.loads(open(out + f"/{name}.json").read())
    print(f"{name} map (forward only): {patch['slices_per_s']:.1f} slices/s = "
          f"{patch['slices_per_s'] / mine['slices_per_s']:.2f}x the gradient map, same encoder and slices")
post = json.loads(open(out + "/post-anchor.json").read())
print("postprocess anchor:", json.dumps({k: v for k, v in post.items() if k not in ("env",)})[:1200])
for line in open(out + "/post.jsonl"):
    r = json.loads(line)
    print(f"postprocess cradl sigma {r['sigma']} radius {r['gaussian_radius']}: {r['slices_per_s']:.0f} slices/s")
PY
