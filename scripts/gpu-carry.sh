#!/usr/bin/env bash
# Prepares, on this machine, what scripts/gpu-check.sh needs on a GPU machine
# that has PyTorch but no Debian packages and no network: GoogleTest's
# sources, gloo's, CLI11's and nlohmann/json's headers (Debian's), and the
# reference scripts of ../shared/anchors. Writes .gpu-carry/ (git-ignored;
# ~3 MB): name it in the device tool's `carry`.
#   bash scripts/gpu-carry.sh
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
bash "$repo/scripts/install-dependencies.sh"
for package in googletest; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
done
carry="$repo/.gpu-carry"
rm -rf "$carry"
mkdir -p "$carry/include"
cp -r /usr/src/googletest "$carry/googletest"
cp -r /usr/include/gloo /usr/include/CLI /usr/include/nlohmann "$carry/include/"
cp -r "${CRADL_ANCHORS:-$repo/../shared/anchors}" "$carry/anchors"
grep -qx '/.gpu-carry/' "$repo/.gitignore" || echo "/.gpu-carry/" >>"$repo/.gitignore"
du -sh "$carry"
