#!/usr/bin/env bash
# The checks that need a GPU, in one short run on a machine with one (or
# more), PyTorch and no ITK: the torch core built against that PyTorch's
# LibTorch, the torch-core tests with the CUDA ones running, the training
# and NLL-gradient benchmarks on the GPU beside the same network in PyTorch
# on the GPU, and data-parallel training over 2 GPUs (torchrun, NCCL) when
# there are two. Figures and logs go to $OUT (or gpu-check-out/).
#   here:  bash scripts/gpu-carry.sh    (.gpu-carry/: what that machine lacks)
#   there: bash scripts/gpu-check.sh    (with .gpu-carry carried)
# Each part reports on its own; the exit status says whether all passed.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
carry=${CRADL_GPU_CARRY:-$repo/.gpu-carry}
out=${OUT:-$repo/gpu-check-out}
build=${CRADL_BUILD_DIR:-$repo/build-gpu}
mkdir -p "$out"
failed=()
part() { # NAME COMMAND...: runs it, logs to $out/NAME.log, notes failures
  local name=$1; shift
  echo "== $name"
  if ! "$@" >"$out/$name.log" 2>&1; then failed+=("$name"); echo "   FAILED (see $name.log)"; fi
  tail -n 5 "$out/$name.log"
}
{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
  python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda, "gpus", torch.cuda.device_count())'
  grep -m1 "^model name" /proc/cpuinfo; nproc
} | tee "$out/machine.txt"
torch=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
gpus=$(python3 -c 'import torch; print(torch.cuda.device_count())')
started=$(date +%s)

configure=(-S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCRADL_TORCH_CORE_ONLY=ON
  -DCMAKE_PREFIX_PATH="$torch" -DTorch_DIR="$torch/Torch" -DCMAKE_INCLUDE_PATH="$carry/include"
  -DCRADL_GOOGLETEST_SOURCE="$carry/googletest" -DCRADL_PYTHON_EXECUTABLE="$(command -v python3)")
command -v ninja >/dev/null && configure+=(-G Ninja)
part build bash -c "cmake ${configure[*]} && cmake --build '$build' --parallel $(nproc)"
built=$(date +%s)
# The torch-core tests once (not the portable-kernel copy): CUDA ones run here.
part tests ctest --test-dir "$build" -R '^core\.' --output-on-failure --parallel 4 --timeout 300
grep -E "Skipped|tests passed" "$out/tests.log" | tail -n 12
tested=$(date +%s)

bench="$build/apps/cradl-bench/cradl-bench"
for batch in 32 256; do
  part "train-fp32-b$batch" "$bench" train --device cuda --batch "$batch" --size 128 --nf 64 --nz 512 --steps 10
  part "train-bf16-b$batch" "$bench" train --device cuda --batch "$batch" --size 128 --nf 64 --nz 512 --steps 10 --bf16
done
part nllgrad-fp32 "$bench" nllgrad --device cuda
part nllgrad-bf16 "$bench" nllgrad --device cuda --bf16
# The same network and step in PyTorch on the GPU (the anchor's encoder, head and NT-Xent).
part train-pytorch python3 - "$carry/anchors" <<'PY'
import json, sys, time
sys.path.insert(0, sys.argv[1])
import torch, simclr_torch as A
torch.manual_seed(0)
for N in (32, 256):
    encoder, head = A.make_encoder().cuda(), A.make_head().cuda()
    optimizer = torch.optim.Adam(list(encoder.parameters()) + list(head.parameters()), lr=1e-4, weight_decay=1e-6)
    views = torch.randn(2 * N, 1, 128, 128, device="cuda")
    def step():
        optimizer.zero_grad()
        loss = A.nt_xent(head(encoder(views)))
        loss.backward()
        optimizer.step()
    for _ in range(3):
        step()
    torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(10):
        step()
    torch.cuda.synchronize()
    print(json.dumps({"reference": "pytorch-cuda-step", "batch": N, "views_per_s": 10 * 2 * N / (time.perf_counter() - start)}))
PY
if [ "$gpus" -ge 2 ]; then
  part train-2gpu torchrun --nproc-per-node=2 --no-python "$bench" train --device cuda --batch 256 --size 128 --nf 64 \
    --nz 512 --steps 10
fi
finished=$(date +%s)
echo "build $((built - started)) s, tests $((tested - built)) s, benchmarks $((finished - tested)) s" | tee -a "$out/machine.txt"
grep -h '"views_per_s"\|"slices_per_s"' "$out"/*.log >"$out/figures.jsonl" || true
if [ ${#failed[@]} -gt 0 ]; then
  echo "failed: ${failed[*]}"
  exit 1
fi
echo "gpu check passed"
