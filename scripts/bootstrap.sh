#!/usr/bin/env bash
# Installs what rollready needs on a fresh Debian/Ubuntu machine, idempotently:
# the system libraries WeasyPrint uses, poppler-utils (PDF checks in the tests), the PostgreSQL
# server binaries (the tests start a throwaway server from them on 127.0.0.1, tests/pg.py), and a venv.
# Missing packages are installed in one apt-get call, as root or through sudo; if that cannot be
# done the script stops with one line saying what to install, before any venv is made.
# PYTHON (default python3) makes the venv VENV (default .venv); tests/test_bootstrap.py points
# them, and PATH, at stubs.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libfontconfig1 fontconfig
              fonts-dejavu-core fonts-noto-cjk poppler-utils postgresql)
# fonts-dejavu-core: the reports' fonts (DejaVu Sans, DejaVu Sans Mono). fonts-noto-cjk: server names
# in Chinese, Japanese or Korean are drawn in the PDF/A report; a character no installed font covers
# is printed as its code point, from what fc-list (package fontconfig) says the fonts cover
# (scanner/report/glyphs.py). poppler-utils: pdftotext, pdfinfo, pdfsig, pdfdetach in the tests,
# pdftoppm for the pictures in docs/.
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv}

fail() {
  echo "bootstrap: error: $*" >&2
  exit 1
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ! "$PYTHON" -c 'import venv, ensurepip' 2>/dev/null; then
  missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing system packages: ${missing[*]}" >&2
  SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || fail "not root and no sudo: install ${missing[*]} as root and run again"
    SUDO=(sudo)
  fi
  # Through env: sudo's env_reset would drop a DEBIAN_FRONTEND set in front of it.
  apt=("${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get)
  "${apt[@]}" update -qq || fail "apt-get update failed (exit $?): install ${missing[*]} yourself and run again"
  "${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
    fail "apt-get install failed (exit $?): install ${missing[*]} yourself and run again"
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
