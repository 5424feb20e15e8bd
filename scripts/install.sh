#!/usr/bin/env bash
# `make install`: Hot Blocking for the QGIS you start from the menu (Debian's qgis and
# qgis_process, which run Debian's /usr/bin/python3, never the venv).
#   1. Debian's own numpy, pandas, scipy (they meet the plugin's minimums) and pip, via apt;
#   2. scripts/install_plugin.py: copies the plugin into the QGIS profile (or --link), puts
#      shapely 2 (Debian 12 has 1.8.5) into the plugin's private libs/ folder, enables it.
# Honours HOME, XDG_DATA_HOME, QGIS_CUSTOM_CONFIG_PATH and QGIS_PROFILE (or --profile NAME).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
python=/usr/bin/python3
if command -v dpkg-query >/dev/null 2>&1; then
  apt_packages=(qgis python3-qgis python3-numpy python3-pandas python3-scipy python3-pip)
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
else
  python="$(command -v python3)"
  echo "No dpkg: not a Debian system. Using $python; it must be the Python your QGIS runs." >&2
fi
exec "$python" "$here/scripts/install_plugin.py" "$@"
