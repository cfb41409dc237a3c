#!/usr/bin/env bash
# Data-parallel training on one machine: 1 process x T threads against
# P processes x T/P threads (torch.distributed, Gloo on loopback), the same
# global batch, in one run; then the gradient bytes each step sums and the
# time spent waiting for them after the backward pass.
#   bash scripts/bench/distributed.sh [build-dir] [size] [nf] [nz] [batch] [steps] [processes]
#   (default: build 64 32 256 64 10 2, the demo's network; 128 64 512 32 for the paper's)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
bash "$repo/scripts/bench/cpu.sh"
build=${1:-$repo/build}
size=${2:-64} nf=${3:-32} nz=${4:-256} batch=${5:-64} steps=${6:-10} processes=${7:-2}
threads=$(nproc)
bench=("$build/apps/cradl-bench" train --batch "$batch" --size "$size" --nf "$nf" --nz "$nz" --steps "$steps")
out=$(mktemp -d)
"${bench[@]}" --threads "$threads" | tee "$out/one.json"
port=$((20000 + RANDOM % 20000))
for ((rank = processes - 1; rank >= 0; rank--)); do
  WORLD_SIZE=$processes RANK=$rank LOCAL_RANK=$rank LOCAL_WORLD_SIZE=$processes MASTER_ADDR=127.0.0.1 \
    MASTER_PORT=$port "${bench[@]}" --threads $((threads / processes)) >>"$out/several.json" &
done
wait
cat "$out/several.json"
/usr/bin/python3 - "$out/one.json" "$out/several.json" <<'PY'
import json, sys
one, several = (json.loads(open(path).read()) for path in sys.argv[1:])
print(f"1 process x {one['threads']} threads: {one['views_per_s']:.1f} views/s; "
      f"{several['processes']} processes x {several['threads']} thread(s): {several['views_per_s']:.1f} views/s "
      f"= {several['views_per_s'] / one['views_per_s']:.2f}x")
print(f"gradient sums: {several['all_reduce_bytes_per_step'] / 1e6:.2f} MB per step per process; waiting for them "
      f"after backward {1e3 * several['all_reduce_wait_seconds_median']:.1f} ms of a "
      f"{1e3 * several['step_seconds_median']:.0f} ms step")
PY
rm -rf "$out"
