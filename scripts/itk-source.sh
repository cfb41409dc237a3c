# Sourced with $repo (the checkout) and $work set: makes $work, fetches and
# unpacks Debian's ITK 5.2 source package there once, and puts a copy of the
# checkout into its Modules/Remote/Cradl, as ITK's remote-module fetch would.
# Sets $itk_source, and for the ITK build: $launcher (ccache), $generator
# (Ninja) and $itk_system_libraries (the system's third-party libraries, as
# Debian builds ITK). Used by remote-module-check.sh and wrapping-check.sh.
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
itk_system_libraries=(
  -DITK_USE_SYSTEM_GOOGLETEST=ON -DITK_USE_SYSTEM_ZLIB=ON -DITK_USE_SYSTEM_PNG=ON -DITK_USE_SYSTEM_JPEG=ON
  -DITK_USE_SYSTEM_EXPAT=ON -DITK_USE_SYSTEM_GDCM=ON -DITK_USE_SYSTEM_HDF5=ON
  -DITK_USE_SYSTEM_DOUBLECONVERSION=OFF -DITK_USE_KWSTYLE=OFF
)
