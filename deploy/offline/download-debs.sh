#!/bin/sh
# On a Debian machine WITH internet, of the same release and architecture as the target:
# download the Debian packages an offline exam server needs, with their dependencies, into
# deploy/offline/debs. On the server: `apt-get install ./debs/*.deb` (install.sh --debs does it).
#
#   sh deploy/offline/download-debs.sh [DIR]
#
# Alternative without this script: add the Debian DVD/BD image as an apt source (apt-cdrom add);
# it holds all of these packages.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$HERE/debs}
PACKAGES="python3 python3-venv postgresql nginx ca-certificates openssl"
# For the exam-room terminals (a kiosk image), add: chromium (or firefox-esr).

mkdir -p "$OUT"
apt-get update -qq
# Every package the list needs, recursively, whatever is installed on this machine.
DEPS=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances $PACKAGES | grep '^[a-zA-Z0-9]' | sort -u)
cd "$OUT"
# Virtual packages have no file of their own: skip them quietly.
for package in $DEPS; do
    apt-get download "$package" >/dev/null 2>&1 || true
done
echo "$(ls ./*.deb | wc -l) packages in $OUT"
