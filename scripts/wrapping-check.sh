#!/usr/bin/env bash
# Proves (or disproves) the real ITK Python wrapping of Cradl: Debian's ITK
# 5.2.1 source with ITK_WRAP_PYTHON=ON, the system's castxml and swig, only
# the modules Cradl needs plus Module_Cradl=ON, then a Python test that uses
# the wrapped Cradl filters through `import itk` from that build
# (test/python/wrapping_check.py). Not in the default CI: hours on 2 cores
# (measured: about 3.6 h from a fresh machine, niced beside other work; README).
# Run as root on Debian bookworm. (ITK 5.2's wrapping needs at least one
# vector pixel type: vector_float and covariant_vector_float stay on.)
#   bash scripts/wrapping-check.sh
# Environment: CRADL_ITK_WORK (default /var/tmp/cradl-itk-remote; the source
# is shared with remote-module-check.sh, the build is build-wrapping/), CRADL_JOBS.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${CRADL_ITK_WORK:-/var/tmp/cradl-itk-remote}
jobs=${CRADL_JOBS:-$(nproc)}
started=$(date +%s)
bash "$repo/scripts/install-dependencies.sh"
for package in swig castxml; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >/dev/null
done
echo "swig $(swig -version | sed -n 's/^SWIG Version //p'), castxml $(castxml --version | sed -n '1s/^castxml version //p')"
source "$repo/scripts/itk-source.sh"

# SWIG 4.1 passes slices as SWIGPY_SLICEOBJECT, which ITK 5.2's module_ext.i.in
# does not define: define it beside SWIGPY_SLICE_ARG, with the same type (the
# change ITK itself made for SWIG 4.1).
ext="$itk_source/Wrapping/Generators/Python/module_ext.i.in"
if ! grep -q SWIGPY_SLICEOBJECT "$ext"; then
  sed -i -e 's/^\(# *define SWIGPY_SLICE_ARG(obj) ((\(PyObject\|PySliceObject\)\*) (obj))\)$/\1\n# define SWIGPY_SLICEOBJECT \2/' "$ext"
  grep -c SWIGPY_SLICEOBJECT "$ext" | grep -q 2 || { echo "could not patch $ext" >&2; exit 1; }
fi

# NumPy 1.24 (bookworm's) removed np.bool, which ITK 5.2's itk/support/types.py
# names for its bool type at `import itk` (ITK 5.3 uses np.bool_).
types="$itk_source/Wrapping/Generators/Python/itk/support/types.py"
sed -i 's/itkCType("bool", "B", np\.bool)/itkCType("bool", "B", np.bool_)/' "$types"
grep -q 'itkCType("bool", "B", np.bool_)' "$types" || { echo "could not patch $types" >&2; exit 1; }

build="$work/build-wrapping"
cmake -S "$itk_source" -B "$build" "${generator[@]}" "${launcher[@]}" \
  -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=ON \
  -DBUILD_TESTING=OFF \
  -DBUILD_EXAMPLES=OFF \
  -DITK_BUILD_DEFAULT_MODULES=OFF \
  -DITK_FORBID_DOWNLOADS=ON \
  -DModule_Cradl=ON \
  -DModule_ITKBridgeNumPy=ON \
  -DITK_WRAP_PYTHON=ON \
  -DITK_USE_SYSTEM_SWIG=ON \
  -DITK_USE_SYSTEM_CASTXML=ON \
  -DPython3_EXECUTABLE=/usr/bin/python3 \
  -DITK_WRAP_float=ON -DITK_WRAP_double=OFF -DITK_WRAP_unsigned_char=ON -DITK_WRAP_signed_short=OFF \
  -DITK_WRAP_unsigned_short=OFF -DITK_WRAP_complex_float=OFF -DITK_WRAP_complex_double=OFF \
  -DITK_WRAP_vector_float=ON -DITK_WRAP_covariant_vector_float=ON -DITK_WRAP_rgb_unsigned_char=OFF \
  -DITK_WRAP_rgba_unsigned_char=OFF "-DITK_WRAP_IMAGE_DIMS=2;3" \
  "${itk_system_libraries[@]}"
configured=$(date +%s)
echo "configure: $((configured - started)) s"

# Cradl's own wrappers first (with the ITK modules they need): their errors
# show within the hour, not after every other module's wrappers.
cmake --build "$build" --parallel "$jobs" --target CradlPython
cradl_wrapped=$(date +%s)
echo "Cradl's wrappers: $((cradl_wrapped - configured)) s"
cmake --build "$build" --parallel "$jobs"
built=$(date +%s)
echo "build: $((built - configured)) s"

PYTHONPATH="$build/Wrapping/Generators/Python" LD_LIBRARY_PATH="$build/lib" \
  /usr/bin/python3 "$repo/test/python/wrapping_check.py"
finished=$(date +%s)
echo "wrapping check passed: configure $((configured - started)) s, build $((built - configured)) s," \
  "test $((finished - built)) s, total $((finished - started)) s"
