#!/usr/bin/env bash
# Proves the CUDA build: Cradl (ITK layer, tools, tests) against the CUDA
# LibTorch inside PyPI's torch wheel (new C++ ABI, as Debian's ITK) and the
# machine's CUDA toolkit (nvcc at configure time), then the test suite; the
# CUDA tests skip where no GPU is visible. Not in the default CI (a 540 MB
# wheel and a second full build). Run as root on Debian bookworm.
#   bash scripts/build-cuda.sh [TORCH_VERSION]   (default 2.15.0: CUDA 13, as this machine's toolkit)
# Environment: CRADL_CUDA_WORK (default /var/tmp/cradl-torch-cuda: the
# unpacked LibTorch and the NVIDIA libraries the toolkit lacks),
# CRADL_BUILD_DIR (default build-cuda), CRADL_JOBS.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
version=${1:-2.15.0}
work=${CRADL_CUDA_WORK:-/var/tmp/cradl-torch-cuda}
build=${CRADL_BUILD_DIR:-$repo/build-cuda}
started=$(date +%s)
command -v nvcc >/dev/null || { echo "build-cuda.sh needs the CUDA toolkit (nvcc on PATH)" >&2; exit 1; }
bash "$repo/scripts/install-dependencies.sh"

# The wheel's LibTorch, and the runtime libraries it links that the toolkit
# lacks (cuFile, cuSPARSELt, NVSHMEM) or has too old (NCCL: the wheel is
# built against a newer one), from NVIDIA's wheels at the versions the torch
# wheel names.
mkdir -p "$work/wheels" "$work/lib"
if [ ! -f "$work/torch/share/cmake/Torch/TorchConfig.cmake" ]; then
  /usr/bin/python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$work/wheels" "torch==$version"
  (cd "$work" && unzip -q -o wheels/torch-"$version"-*.whl 'torch/lib/*' 'torch/include/*' 'torch/share/*' 'torch/version.py')
fi
missing() { # the libraries LibTorch's CUDA parts need that no search path has
  LD_LIBRARY_PATH="$work/lib:${CUDA_HOME:-/usr/local/cuda}/lib64" \
    ldd "$work/torch/lib/libtorch_cuda.so" "$work/torch/lib/libtorch_nvshmem.so" | sed -n 's/^\t\(\S*\) => not found$/\1/p' | sort -u
}
required=$(unzip -p "$work"/wheels/torch-"$version"-*.whl '*/METADATA' | sed -n 's/^Requires-Dist: \(nvidia-[a-z-]*cu1[0-9]==[^;]*\).*/\1/p')
wanted=($(grep -o 'nvidia-nccl[^ ]*' <<<"$required"))
for library in $(missing); do
  case $library in
    libcufile*) wanted+=("nvidia-cufile") ;;
    libcusparseLt*) wanted+=($(grep -o 'nvidia-cusparselt[^ ]*' <<<"$required")) ;;
    libnvshmem*) wanted+=($(grep -o 'nvidia-nvshmem[^ ]*' <<<"$required")) ;;
    *) echo "no wheel known for $library" >&2 ;;
  esac
done
/usr/bin/python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$work/wheels" "${wanted[@]}"
for wheel in "$work"/wheels/nvidia_*.whl; do
  unzip -q -o -j "$wheel" 'nvidia/*/lib/*.so*' -d "$work/lib"
done
# NCCL's header of the library that runs (ProcessGroupNCCL reads its version).
mkdir -p "$work/include"
unzip -q -o -j "$work"/wheels/nvidia_nccl*.whl 'nvidia/*/include/nccl*.h' -d "$work/include"
[ -z "$(missing)" ] || { echo "still missing: $(missing)" >&2; exit 1; }
fetched=$(date +%s)
echo "LibTorch $version (CUDA $(sed -n "s/^cuda[^=]*= *'\(.*\)'.*/\1/p" "$work/torch/version.py")), $(ls "$work/lib" | tr '\n' ' ')at $work: $((fetched - started)) s"

# The build: another Torch_DIR and folder; the Python package stays with
# Debian's LibTorch (python3-torch). The prefix path puts the wheel's
# libraries and Caffe2 config before Debian's, which TorchConfig's
# find_library(... PATHS) and find_dependency would otherwise find first;
# -rpath-link puts the newer NCCL before the toolkit's, which the rpath of
# TorchConfig's CUDA libraries would otherwise give the linker.
export LD_LIBRARY_PATH="$work/lib:${CUDA_HOME:-/usr/local/cuda}/lib64:$work/torch/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
source "$repo/scripts/compiler-cache.sh"
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCRADL_PYTHON=OFF \
  -DTorch_DIR="$work/torch/share/cmake/Torch" -DCaffe2_DIR="$work/torch/share/cmake/Caffe2" \
  -DCMAKE_PREFIX_PATH="$work/torch" -DCRADL_NCCL_INCLUDE_DIR="$work/include" "${compiler_cache[@]}" \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,-rpath-link,$work/lib" -DCMAKE_SHARED_LINKER_FLAGS="-Wl,-rpath-link,$work/lib" >"$work/configure.log" 2>&1 ||
  { cat "$work/configure.log"; exit 1; }
configured=$(date +%s)
cmake --build "$build" --parallel "${CRADL_JOBS:-$(nproc)}"
built=$(date +%s)
ctest --test-dir "$build" --output-on-failure --no-tests=error --parallel "${CRADL_JOBS:-$(nproc)}"
finished=$(date +%s)
echo "CUDA build passed: fetch $((fetched - started)) s, configure $((configured - fetched)) s," \
  "build $((built - configured)) s, tests $((finished - built)) s"
