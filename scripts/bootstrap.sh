#!/usr/bin/env bash
# Installs what rollready needs on a fresh Debian/Ubuntu machine, idempotently:
# the system libraries WeasyPrint uses, poppler-utils (PDF checks in the tests), the PostgreSQL
# server binaries (the tests start a throwaway server from them on 127.0.0.1, tests/pg.py), and a venv.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1
              fonts-dejavu-core fonts-noto-cjk poppler-utils postgresql)
# fonts-noto-cjk: server names in Chinese, Japanese or Korean are drawn in the PDF/A report; a
# character no installed font covers is printed as its code point (scanner/report/glyphs.py).
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
  missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing system packages: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x "$VENV/bin/python" ]; then
  echo "bootstrap: creating $VENV" >&2
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.rollready-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "bootstrap: installing rollready and its dependencies into $VENV" >&2
  "$VENV/bin/python" -m pip install -qq --disable-pip-version-check -e '.[test]'
  touch "$stamp"
fi
