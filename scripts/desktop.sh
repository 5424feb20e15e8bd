#!/usr/bin/env bash
# Start desktop QGIS with this checkout installed and enabled as the plugin "hotblocking", in
# a FRESH private profile: your own QGIS settings and plugins are neither used nor touched.
#
#   scripts/desktop.sh                                      # QGIS on your display
#   scripts/desktop.sh out/demo/hotblocking_demo.qgz        # any qgis arguments: a project...
#   scripts/desktop.sh --xvfb --code scripts/screenshots.py # headless, running a script
#
# Options (before any qgis arguments):
#   --xvfb         run under xvfb-run (a 1600x1000 virtual screen), for headless use
#   --code FILE    run a Python file in QGIS once it has started (qgis --code FILE)
#   --config DIR   use DIR as the profile folder (QGIS_CUSTOM_CONFIG_PATH) and keep it,
#                  instead of a fresh temporary one that is removed on exit
#   --log FILE     where QGIS's message log is written (default: hb-qgis-messages.log in
#                  the temporary folder, printed on exit)
#
# How: the checkout is symlinked as profiles/default/python/plugins/hotblocking and enabled
# in QGIS3.ini ([PythonPlugins] hotblocking=true); QGIS embeds Debian's python3, so the
# venv's packages (pandas, scipy, shapely 2...) are put on PYTHONPATH. A PYQGIS_STARTUP
# script (scripts/desktop_startup.py) copies every message-log entry to the log file; on
# exit, critical messages and Python errors are printed; a Python error makes the exit status 3.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
xvfb=0 code="" config="" log=""
while [ $# -gt 0 ]; do
  case "$1" in
    --xvfb) xvfb=1; shift ;;
    --code) code="$(realpath "$2")"; shift 2 ;;
    --config) config="$2"; shift 2 ;;
    --log) log="$(realpath -m "$2")"; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    --) shift; break ;;
    *) break ;;
  esac
done
if [ ! -x "$here/.venv/bin/python" ]; then bash "$here/scripts/setup.sh" >&2; fi

work="$(mktemp -d "${TMPDIR:-/tmp}/hb-desktop-XXXXXX")"
if [ -z "$config" ]; then
  config="$work/config"
  trap 'rm -rf "$work/config"' EXIT
fi
mkdir -p "$config"
config="$(cd "$config" && pwd)"
profile="$config/profiles/default"
mkdir -p "$profile/QGIS" "$profile/python/plugins"
ln -sfn "$here" "$profile/python/plugins/hotblocking"
ini="$profile/QGIS/QGIS3.ini"
if ! grep -q '^hotblocking=true' "$ini" 2>/dev/null; then
  # A first start asks nothing and fetches no news feed (quiet under xvfb).
  # Processing's GRASS and SAGA providers only log CRITICAL "not installed" when their
  # programs are missing: leave them off then, so the log shows what matters.
  grass=true saga=true
  command -v grass >/dev/null 2>&1 || ls /usr/bin/grass[0-9]* >/dev/null 2>&1 || grass=false
  command -v saga_cmd >/dev/null 2>&1 || saga=false
  cat >> "$ini" <<EOF
[PythonPlugins]
hotblocking=true
grassprovider=$grass
sagaprovider=$saga

[core]
NewsFeed\\httpsfeedqgisorg\\disabled=true

[qgis]
checkVersion=false
EOF
fi

site="$("$here/.venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
export QGIS_CUSTOM_CONFIG_PATH="$config"
export PYQGIS_STARTUP="$here/scripts/desktop_startup.py"
export HB_QGIS_LOG="${log:-$work/hb-qgis-messages.log}"
export HB_CHECKOUT="$here"
: > "$HB_QGIS_LOG"
if [ -z "${XDG_RUNTIME_DIR:-}" ] || [ ! -w "${XDG_RUNTIME_DIR}" ]; then
  export XDG_RUNTIME_DIR="${TMPDIR:-/tmp}/hotblocking-runtime-$(id -u)"
  mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
fi

cmd=(/usr/bin/qgis)  # Debian's wrapper adds --noversioncheck (/etc/default/qgis)
[ -n "$code" ] && cmd+=(--code "$code")
cmd+=("$@")
if [ "$xvfb" = 1 ]; then
  unset QT_QPA_PLATFORM  # a real X server (Xvfb), not Qt's offscreen platform
  cmd=(xvfb-run -a -s "-screen 0 1600x1000x24" "${cmd[@]}")
fi
echo "QGIS profile: $config (plugin: $profile/python/plugins/hotblocking)" >&2
status=0
"${cmd[@]}" || status=$?

echo "QGIS exited with status $status; message log: $HB_QGIS_LOG" >&2
# entries: LEVEL<TAB>tag<TAB>text, continuation lines start with a tab
entries() { awk -F'\t' -v pat="$1" '$0 ~ pat {show=1; print; next} /^\t/ && show {print; next} {show=0}' "$HB_QGIS_LOG"; }
critical="$(entries '^CRITICAL\t')"
python_errors="$(entries '^[A-Z]+\tPython error\t')"
if [ -n "$critical" ]; then printf 'CRITICAL messages in QGIS'"'"'s log:\n%s\n' "$critical" >&2; fi
if [ -n "$python_errors" ]; then
  printf 'Python errors in QGIS'"'"'s log:\n%s\n' "$python_errors" >&2
  [ "$status" = 0 ] && status=3
fi
exit "$status"
