# Sourced by the build scripts from the checkout's root: sets `compiler_cache`
# to the CMake options that put ccache in front of the compilers, when ccache
# is installed, so that a rebuild, or a build from another clone, hits its cache.
compiler_cache=()
if command -v ccache >/dev/null; then
  # Hits from any clone: paths are made relative to the checkout.
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
  compiler_cache=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
