#!/bin/sh
# install-deps.sh - installs the Debian packages kumo needs that are missing,
# with apt-get when running as root or with sudo; otherwise says which to
# install. Usage: tools/install-deps.sh PACKAGE...
set -eu
missing=""
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
[ -z "$missing" ] && exit 0
echo "kumo: installing missing packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "kumo: cannot install packages (not root, no sudo). Please run:" >&2
    echo "  sudo apt-get install$missing" >&2
    exit 1
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
