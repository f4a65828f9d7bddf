#!/usr/bin/env bash
# The system libraries a fresh machine needs (README, "Running in production"): WeasyPrint, the
# bulletins' PDF engine, loads Pango, PangoFT2, HarfBuzz's subsetter and fontconfig at run time.
# Everything else comes from PyPI wheels (Typst, psycopg2-binary with its own libpq) and the
# fonts are vendored under report_templates/static/fonts. Missing libraries are installed with
# apt-get when this runs as root on Debian/Ubuntu; otherwise the command to run is printed and
# the script fails, so a set-up never ends in a PDF error at the first bulletin.
set -euo pipefail

packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libfontconfig1)
libraries=(libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0 libfontconfig.so.1)

ldconfig_bin="$(command -v ldconfig || echo /sbin/ldconfig)"
if [[ ! -x "$ldconfig_bin" ]]; then
  echo "system-packages: no ldconfig here (not Linux?); install Pango for WeasyPrint yourself" >&2
  exit 0
fi
known="$("$ldconfig_bin" -p)"
missing=()
for i in "${!libraries[@]}"; do
  grep -q "${libraries[$i]}" <<<"$known" || missing+=("${packages[$i]}")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
  echo "Installing the system libraries of the PDF engine: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  exit 0
fi
echo "Missing system libraries for the PDF engine (WeasyPrint): ${missing[*]}." >&2
echo "Install them as root, e.g.: apt-get install -y ${missing[*]}" >&2
exit 1
