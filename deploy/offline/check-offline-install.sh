#!/bin/sh
# Prove the offline install path end to end (takes a few minutes; not part of the test suite):
#
#   sh deploy/offline/check-offline-install.sh [EXTRA-REQUIREMENT ...]
#
#  1. build a wheelhouse into a temporary folder (this step uses the internet);
#  2. then, with NO network at all (a network namespace of its own, `unshare -n`, as root):
#     create a fresh venv, `pip install --no-index --find-links` the platform, run
#     `examctl --help`, migrate a SQLite database and seed the demo from the installed wheel,
#     serve it with gunicorn and deploy/gunicorn.conf.py, and fetch a page and a static file;
#  3. run install.sh in its trial mode (DESTDIR) and check the files it lays out.
# Prints "OFFLINE INSTALL: PASS" at the end, or stops at the first failure.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DEPLOY=$(cd "$HERE/.." && pwd)
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d /tmp/exam-offline-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

step() { printf '\n== %s\n' "$*"; }

step "1. Building the wheelhouse (online)"
START=$(date +%s)
# Extra requirements given to this script are passed on (see build-wheelhouse.sh).
sh "$HERE/build-wheelhouse.sh" "$WORK/wheelhouse" "$@"
echo "built in $(($(date +%s) - START)) s"

if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
    OFFLINE="unshare -n"
    echo "Steps 2 and 3 run in a network namespace without any network."
else
    OFFLINE=""
    echo "WARNING: not root or no unshare: steps 2 and 3 run with the network present" \
        "(pip still gets --no-index)."
fi

step "2. Fresh venv, offline install, examctl, a served page"
$OFFLINE env WORK="$WORK" DEPLOY="$DEPLOY" PYTHON="$PYTHON" sh -eu -c '
    if command -v ip >/dev/null; then ip link set lo up 2>/dev/null || true; fi
    if "$PYTHON" -c "import socket; socket.create_connection((\"pypi.org\", 443), 3)" 2>/dev/null
    then echo "(the network is reachable here)"
    else echo "(no network: pypi.org is unreachable, as on the exam LAN)"
    fi
    cd "$WORK"   # never the work tree: only the installed wheel may be imported
    START=$(date +%s)
    "$PYTHON" -m venv venv
    venv/bin/pip install --quiet --no-index --find-links wheelhouse \
        --requirement wheelhouse/requirements.txt
    echo "installed $(venv/bin/pip list --format=freeze | wc -l) packages in $(($(date +%s) - START)) s"
    venv/bin/examctl --help | head -3
    export EXAM_SECRET_KEY=offline-check EXAM_INSTANCE_PATH="$WORK/instance"
    export EXAM_DATABASE_URL="sqlite:///$WORK/exam.sqlite3"
    export EXAM_BCRYPT_ROUNDS_STAFF=4 EXAM_BCRYPT_ROUNDS_CANDIDATE=4
    mkdir -p instance
    venv/bin/examctl db upgrade
    venv/bin/examctl demo | head -1
    venv/bin/python -c "import exam_server, sys; assert \"site-packages\" in exam_server.__file__, exam_server.__file__"
    PORT=$(venv/bin/python -c "import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])")
    EXAM_ENV=production GUNICORN_BIND=127.0.0.1:$PORT WEB_CONCURRENCY=2 \
        venv/bin/gunicorn --config "$DEPLOY/gunicorn.conf.py" exam_server.wsgi:app \
        > gunicorn.log 2>&1 &
    SERVER=$!
    trap "kill $SERVER 2>/dev/null || true" EXIT
    venv/bin/python - "$PORT" <<PY
import sys, time, urllib.request
base = "http://127.0.0.1:" + sys.argv[1]
for _ in range(150):
    try:
        page = urllib.request.urlopen(base + "/login", timeout=2).read().decode()
        break
    except OSError:
        time.sleep(0.2)
else:
    sys.exit("gunicorn did not answer")
assert "csrf-token" in page, page[:300]
script = urllib.request.urlopen(base + "/static/js/exam.js", timeout=5).read()
assert len(script) > 1000
print("served /login and /static/js/exam.js from the installed wheel")
PY
'

step "3. install.sh in trial mode (DESTDIR)"
$OFFLINE env DESTDIR="$WORK/root" WHEELHOUSE="$WORK/wheelhouse" PYTHON="$PYTHON" \
    sh "$HERE/install.sh" exam > "$WORK/install.log"
ROOT="$WORK/root"
for path in opt/exam/venv/bin/gunicorn opt/exam/venv/bin/examctl etc/exam/gunicorn.conf.py \
    etc/exam/exam.env etc/systemd/system/exam.service etc/systemd/system/exam-migrate.service \
    etc/systemd/system/exam-backup.timer etc/systemd/system/exam-finalise.timer \
    etc/nginx/sites-available/exam etc/nginx/sites-enabled/exam \
    etc/nginx/snippets/exam-locations.conf usr/local/bin/examctl \
    opt/exam/static/exam_server/js/exam.js opt/exam/static/proctor_console/grid.js \
    opt/exam/static/question_bank/bank.css opt/exam/static/exam_server.council/council.css \
    opt/exam/static/exam_server.setup/setup.css opt/exam/deploy/README.md; do
    [ -e "$ROOT/$path" ] || { echo "missing after install.sh: /$path" >&2; exit 1; }
done
grep -qx "EXAM_SERVER_ROLE=exam" "$ROOT/etc/exam/exam.env"
! grep -q "CHANGE-ME" "$ROOT/etc/exam/exam.env"
[ "$(stat -c %a "$ROOT/etc/exam/exam.env")" = 640 ]
echo "install.sh laid out the venv, /etc/exam (role exam, a fresh secret), units, site, static"

printf '\nOFFLINE INSTALL: PASS\n'
