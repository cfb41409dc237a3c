#!/usr/bin/env bash
# Gaussian-mixture EM against scikit-learn (../shared/anchors/gmm_sklearn.py) on the
# anchor's own data (N=40000, d=512), in one run: anchor JSON, cradl lines, ratios.
#   bash scripts/bench/gmm.sh [build-dir] [K...]    (default: build 1 4 8)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bash "$repo/scripts/bench/cpu.sh"
build=${1:-$repo/build}
shift || true
ks=("$@")
[ ${#ks[@]} -gt 0 ] || ks=(1 4 8)
anchors=${CRADL_ANCHORS:-$repo/../shared/anchors}
out=$(mktemp -d)
"$anchors/gmm_sklearn.py" --N 40000 --K "${ks[@]}" --init kmeans --repeats 1 --score-repeats 1 --dump "$out" \
  >"$out/anchor.json"
for k in "${ks[@]}"; do
  for variant in "" "--float32"; do
    # shellcheck disable=SC2086
    "$build/apps/cradl-bench" gmm --input "$out/gmm_train_pool_40000x512_f64.npy" --components "$k" \
      --tol 0.1 --reg 1e-6 --max-iter 100 --init kmeans++ $variant | tee -a "$out/cradl.jsonl"
  done
done
/usr/bin/python3 - "$out/anchor.json" "$out/cradl.jsonl" <<'PY'
import json, sys
anchor = {r["K"]: r for r in json.loads(open(sys.argv[1]).read())["results"] if r["N"] == 40000}
for line in open(sys.argv[2]):
    mine = json.loads(line)
    ref = anchor[mine["components"]]
    sk_fit = ref["fit_wall_s"]["median"]
    sk_iter = ref["em_s_per_iter_of_fastest"]
    print(f"K={mine['components']} {'float32' if mine['float32_compute'] else 'float64'}: "
          f"cradl fit {mine['fit_s']:.2f} s ({mine['n_iter']} it, {mine['s_per_iter']:.2f} s/it, "
          f"{'closed form' if mine['gflop_per_s'] is None else format(mine['gflop_per_s'], '.0f') + ' GFLOP/s'}, init {mine['init_s']:.2f} s, loglik {mine['mean_loglik']:.3f}) "
          f"vs sklearn {sk_fit:.2f} s ({ref['n_iter'][0]} it, {sk_iter:.2f} s/it, init {ref['init_s_of_fastest']} s, "
          f"loglik {ref['lower_bound'][0]}): fit {sk_fit / mine['fit_s']:.1f}x, per iteration {sk_iter / mine['s_per_iter']:.1f}x")
PY
