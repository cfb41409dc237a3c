#!/usr/bin/env bash
# SimCLR training throughput against the PyTorch anchor (../shared/anchors/simclr_torch.py),
# in one run: the anchor's JSON line, then cradl's variants, then the ratios.
#   bash scripts/bench/train.sh [build-dir] [batch] [threads] [steps]   (default: build 32 2 10)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bash "$repo/scripts/bench/cpu.sh"
build=${1:-$repo/build}
batch=${2:-32}
threads=${3:-2}
steps=${4:-10}
anchors=${CRADL_ANCHORS:-$repo/../shared/anchors}
out=$(mktemp -d)
"$anchors/simclr_torch.py" --part train --N "$batch" --threads "$threads" --steps "$steps" --train-modes step augstep \
  >"$out/anchor.json"
cat "$out/anchor.json"
# The anchor again with the malloc setting Cradl makes for itself
# (keepFreedHostMemory): how much of the ratio is that setting.
GLIBC_TUNABLES=glibc.malloc.mmap_max=0:glibc.malloc.trim_threshold=2147483647 \
  "$anchors/simclr_torch.py" --part train --N "$batch" --threads "$threads" --steps "$steps" --train-modes augstep \
  >"$out/anchor-kept.json"
"$build/apps/cradl-bench" peak >"$out/peak.json"
variants=("" "--channels-last")
# bfloat16 is ~10x slower than float32 without AVX512-BF16 or AMX: not timed there.
if grep -m1 "^flags" /proc/cpuinfo | grep -q -w -E "avx512_bf16|amx_bf16"; then
  variants+=("--bf16" "--bf16 --channels-last" "--bf16 --no-augment")
fi
for variant in "${variants[@]}"; do
  # shellcheck disable=SC2086
  "$build/apps/cradl-bench" train --batch "$batch" --size 128 --nf 64 --nz 512 --steps "$steps" \
    --threads "$threads" $variant | tee -a "$out/cradl.json"
done
/usr/bin/python3 - "$out/anchor.json" "$out/cradl.json" "$out/peak.json" "$out/anchor-kept.json" <<'PY'
import json, sys
anchor = json.loads(open(sys.argv[1]).read())["train"][0]
peak = json.loads(open(sys.argv[3]).read())["gflop_per_s"]
print(f"measured float32 FMA peak ({json.loads(open(sys.argv[3]).read())['vector']}): {peak:.0f} GFLOP/s")
python_views = anchor["aug_plus_step_views_per_s"]
print(f"anchor (PyTorch, augment + step): {python_views:.1f} views/s; step only {anchor['step_only_views_per_s']:.1f}")
kept = json.loads(open(sys.argv[4]).read())["train"][0]["aug_plus_step_views_per_s"]
print(f"anchor with malloc keeping freed memory, as Cradl does: {kept:.1f} views/s")
for line in open(sys.argv[2]):
    r = json.loads(line)
    share = ", ".join(f"{k} {v:.0%}" for k, v in r["time_share"].items())
    print(f"cradl {'bf16' if r['mixed_precision_bf16'] else 'fp32'} {'NHWC' if r['channels_last'] else 'NCHW'} "
          f"{'augment' if r['augment'] else 'no augment'}: {r['views_per_s']:.1f} views/s = "
          f"{r['views_per_s'] / python_views:.2f}x the anchor, {r['gflop_per_s']:.0f} GFLOP/s "
          f"({r['gflop_per_s'] / peak:.0%} of the peak); {share}")
PY
