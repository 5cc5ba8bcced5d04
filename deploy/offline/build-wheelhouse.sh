#!/bin/sh
# On a machine WITH internet: build the wheels of the platform and of all its dependencies, for
# an offline install (deploy/offline/install.sh) on a server of the exam LAN.
#
#   sh deploy/offline/build-wheelhouse.sh [WHEELHOUSE [EXTRA-REQUIREMENT ...]]
#
# WHEELHOUSE defaults to deploy/offline/wheelhouse. Extra requirements (e.g. a package the code
# needs that pyproject.toml does not list yet) are built too and installed with the platform:
# the wheelhouse's requirements.txt names what install.sh installs.
#
# Build on the same Debian release and architecture as the target (Debian 12 amd64: Python
# 3.11): wheels with compiled code (psycopg-binary, bcrypt, numpy, pandas, nh3, cryptography)
# are made for one Python version and one architecture. PYTHON=python3.11 picks the Python.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
OUT=${1:-$HERE/wheelhouse}
[ $# -gt 0 ] && shift
PYTHON=${PYTHON:-python3}

echo "Building with $("$PYTHON" --version) on $(uname -m) into $OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# One version of each package: older wheels left from a previous build would be ambiguous.
rm -f "$OUT"/*.whl "$OUT/SHA256SUMS" "$OUT/requirements.txt"

# Build from a copy, so the build leaves nothing (build/, *.egg-info) in the work tree.
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
SRC=$WORK/src
mkdir "$SRC"
tar -C "$ROOT" \
    --exclude=./.venv --exclude=./.git --exclude=./instance --exclude=./.instance \
    --exclude=./tests --exclude='*.egg-info' --exclude=__pycache__ --exclude=./build \
    --exclude=./deploy/offline/wheelhouse --exclude=./deploy/offline/debs \
    -cf - . | tar -C "$SRC" -xf -

# A throwaway venv with an up-to-date pip does the build (the system pip may be old).
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/pip" install --quiet --upgrade pip
"$WORK/venv/bin/pip" wheel --quiet --wheel-dir "$OUT" "$SRC" "$@"
{
    echo "exam-platform"
    for requirement in "$@"; do echo "$requirement"; done
} > "$OUT/requirements.txt"

# Checksums: install.sh verifies them, so a damaged or altered copy is refused.
(cd "$OUT" && sha256sum -- *.whl requirements.txt > SHA256SUMS)
echo "$(ls "$OUT"/*.whl | wc -l) wheels, $(du -sh "$OUT" | cut -f1) in $OUT"
