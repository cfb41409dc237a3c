#!/usr/bin/env bash
# Proves the remote-module path for real: takes Debian's ITK source package,
# configures a minimal ITK build tree with Cradl enabled as a remote module
# (Modules/Remote/Cradl), builds what Cradl's tests need and runs them there.
# Not part of the default CI: it builds ITK's core modules (tens of minutes on
# 2 cores; ccache makes reruns fast). Run as root on Debian bookworm.
#   bash scripts/remote-module-check.sh
# Environment: CRADL_ITK_WORK (default /var/tmp/cradl-itk-remote), CRADL_JOBS.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${CRADL_ITK_WORK:-/var/tmp/cradl-itk-remote}
jobs=${CRADL_JOBS:-$(nproc)}
started=$(date +%s)
bash "$repo/scripts/install-dependencies.sh"
mkdir -p "$work"
cd "$work"

if ! ls insighttoolkit5_*.orig.tar.* >/dev/null 2>&1; then
  # apt knows source packages only once a deb-src entry names the archive:
  # made from the machine's own binary entries (same mirror, suites, key).
  if ! grep -rqs "deb-src" /etc/apt/sources.list /etc/apt/sources.list.d/; then
    for list in /etc/apt/sources.list.d/*.sources; do
      [ -e "$list" ] || continue
      awk 'BEGIN { RS = ""; ORS = "\n\n" }
           /(^|\n)Types:([^\n]* )?deb( |\n|$)/ { sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$list"
    done >"$work/cradl-deb-src.sources"
    for list in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -e "$list" ] || continue
      sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' "$list"
    done >"$work/cradl-deb-src.list"
    mv "$work/cradl-deb-src.sources" "$work/cradl-deb-src.list" /etc/apt/sources.list.d/
  fi
  apt-get update -qq
  apt-get source --download-only insighttoolkit5
fi
if ! ls -d InsightToolkit-5.*/ >/dev/null 2>&1; then
  tar xf insighttoolkit5_*.orig.tar.*
fi
itk_source=$(cd "$(ls -d InsightToolkit-5.*/ | head -n 1)" && pwd)

# The module as ITK's remote-module fetch would leave it: a copy of the tree.
rm -rf "$itk_source/Modules/Remote/Cradl"
mkdir -p "$itk_source/Modules/Remote/Cradl"
git -C "$repo" ls-files -z --cached --others --exclude-standard |
  (cd "$repo" && xargs -0 cp --parents -t "$itk_source/Modules/Remote/Cradl")

launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$work" CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
generator=()
if command -v ninja >/dev/null; then
  generator=(-G Ninja)
fi
# System third-party libraries as Debian builds ITK; only the modules Cradl needs.
cmake -S "$itk_source" -B "$work/build" "${generator[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=ON \
  -DBUILD_TESTING=ON \
  -DBUILD_EXAMPLES=OFF \
  -DITK_BUILD_DEFAULT_MODULES=OFF \
  -DITK_FORBID_DOWNLOADS=ON \
  -DITK_WRAP_PYTHON=OFF \
  -DModule_Cradl=ON \
  -DITK_USE_SYSTEM_GOOGLETEST=ON \
  -DITK_USE_SYSTEM_ZLIB=ON \
  -DITK_USE_SYSTEM_PNG=ON \
  -DITK_USE_SYSTEM_JPEG=ON \
  -DITK_USE_SYSTEM_EXPAT=ON \
  -DITK_USE_SYSTEM_GDCM=ON \
  -DITK_USE_SYSTEM_HDF5=ON \
  -DITK_USE_SYSTEM_DOUBLECONVERSION=OFF \
  -DITK_USE_KWSTYLE=OFF
configured=$(date +%s)

cmake --build "$work/build" --parallel "$jobs" --target CradlTorchCoreGTests CradlGTests CradlTestDriver
built=$(date +%s)

# ITK registers a module's test folder apart from the module's own folder.
ctest --test-dir "$work/build/Modules/Remote/Cradl/test" --output-on-failure --no-tests=error --parallel "$jobs"
finished=$(date +%s)
echo "remote-module check passed: configure $((configured - started)) s, build $((built - configured)) s," \
  "tests $((finished - built)) s, total $((finished - started)) s"
