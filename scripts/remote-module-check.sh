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

# Debian's ITK source with this checkout as Modules/Remote/Cradl: $itk_source.
source "$repo/scripts/itk-source.sh"

# Only the modules Cradl needs.
cmake -S "$itk_source" -B "$work/build" "${generator[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=ON \
  -DBUILD_TESTING=ON \
  -DBUILD_EXAMPLES=OFF \
  -DITK_BUILD_DEFAULT_MODULES=OFF \
  -DITK_FORBID_DOWNLOADS=ON \
  -DITK_WRAP_PYTHON=OFF \
  -DModule_Cradl=ON \
  "${itk_system_libraries[@]}"
configured=$(date +%s)

cmake --build "$work/build" --parallel "$jobs" --target CradlTorchCoreGTests CradlGTests CradlTestDriver
built=$(date +%s)

# ITK registers a module's test folder apart from the module's own folder.
ctest --test-dir "$work/build/Modules/Remote/Cradl/test" --output-on-failure --no-tests=error --parallel "$jobs"
finished=$(date +%s)
echo "remote-module check passed: configure $((configured - started)) s, build $((built - configured)) s," \
  "tests $((finished - built)) s, total $((finished - started)) s"
