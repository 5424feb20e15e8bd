#!/usr/bin/env bash
# Installs what Hot Blocking needs on Debian 12, idempotently:
#   QGIS 3.22 from Debian's packages (+ poppler-utils, xvfb for checks), Debian's own numpy,
#   pandas, scipy and pip (what `make install` relies on for QGIS's own python3, and what the
#   system tests run with), then a venv made
#   from Debian's /usr/bin/python3 with --system-site-packages (so it sees QGIS's bindings)
#   and the pinned requirements (numpy < 2: Debian's GDAL bindings need numpy 1.x).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="$here/.venv"
apt_packages=(qgis python3-qgis qgis-providers python3-venv poppler-utils xvfb xauth
              python3-numpy python3-pandas python3-scipy python3-pip
              postgresql postgis postgresql-15-postgis-3)

missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

stamp="$venv/.requirements-installed"
if [ ! -x "$venv/bin/python" ]; then
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
if [ ! -f "$stamp" ] || [ "$here/requirements.txt" -nt "$stamp" ] || [ "$here/requirements-dev.txt" -nt "$stamp" ]; then
  "$venv/bin/python" -m pip install -q --disable-pip-version-check -r "$here/requirements-dev.txt"
  touch "$stamp"
fi
"$venv/bin/python" -c "import qgis.core, numpy, shapely, osgeo.gdal_array; assert numpy.__version__ < '2'" \
  || { echo "The venv cannot import QGIS with numpy < 2: remove $venv and run again."; exit 1; }
