#!/usr/bin/env bash
# Installs the Debian (bookworm) packages Cradl needs that are not installed yet.
# Run as root; prints nothing to do when all are present.
set -euo pipefail

packages=(
  build-essential cmake ccache
  libinsighttoolkit5-dev libtorch-dev libeigen3-dev libgtest-dev zlib1g-dev
  libcli11-dev nlohmann-json3-dev
  libgloo-dev # torch.distributed's Gloo process group (Debian's LibTorch links gloo)
  mricron-data # the Colin27 brain the default data set is built from
  libjs-d3 libjs-c3 # the report page's plots (inlined into OUT/report/index.html)
  libopenblas0-pthread # Debian's LibTorch calls the system BLAS: ~10x faster matmul than the reference BLAS
  python3-torch python3-sklearn python3-scipy python3-numpy python3-psutil python3-threadpoolctl # oracles for the tests (Debian's /usr/bin/python3)
  python3-dev pybind11-dev python3-venv python3-pip # the cradl Python package, built for Debian's python3
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Cradl needs these Debian packages: ${missing[*]}" >&2
  echo "run as root, or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
