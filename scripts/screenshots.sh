#!/usr/bin/env bash
# Regenerate the README's screenshots in docs/ (headless, about 15 s):
#   scripts/screenshots.sh [SHOTS_DIR]          # default: docs/
# 1. `make demo` into a scratch folder (DEMO=... to reuse one);
# 2. desktop QGIS under xvfb, in a fresh profile with the plugin enabled (scripts/desktop.sh),
#    runs scripts/screenshots.py: toolbox.png, algorithm_dialog.png, explorer_dock.png,
#    desktop.png; QGIS's message log is checked for Python errors on the way out;
# 3. the demo brief's cover and page 2 at 70 dpi: brief_cover.png, brief_page.png.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
shots="$(realpath -m "${1:-$here/docs}")"
demo="$(realpath -m "${DEMO:-${TMPDIR:-/tmp}/hb-screenshots-demo}")"
mkdir -p "$shots"
make -C "$here" --no-print-directory demo OUT="$demo"
HB_DEMO_DIR="$demo" HB_SHOTS_DIR="$shots" \
  bash "$here/scripts/desktop.sh" --xvfb --code "$here/scripts/screenshots.py"
brief="$(ls "$demo"/brief_*.pdf | head -n 1)"
pdftoppm -r 70 -png -f 1 -l 1 -singlefile "$brief" "$shots/brief_cover"
pdftoppm -r 70 -png -f 2 -l 2 -singlefile "$brief" "$shots/brief_page"
status=0
for png in toolbox algorithm_dialog explorer_dock desktop brief_cover brief_page; do
  size=$(stat -c %s "$shots/$png.png")
  echo "$shots/$png.png: $((size / 1024)) KB"
  if [ "$size" -ge $((300 * 1024)) ]; then echo "  larger than 300 KB" >&2; status=1; fi
done
exit "$status"
