#!/usr/bin/env bash
# Links this checkout into a QGIS profile as the plugin folder "hotblocking".
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
profile="${QGIS_PROFILE:-default}"
plugins="${QGIS_PLUGINS_DIR:-$HOME/.local/share/QGIS/QGIS3/profiles/$profile/python/plugins}"
mkdir -p "$plugins"
ln -sfn "$here" "$plugins/hotblocking"
echo "Linked $here -> $plugins/hotblocking"
echo "Enable it in QGIS: Plugins > Manage and Install Plugins > Installed > Hot Blocking."
