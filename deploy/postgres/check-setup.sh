#!/bin/sh
# Try setup.sh for real on a throwaway Debian cluster (never on "main"), then remove it:
# role and database created, exam.conf in force (synchronous_commit on), and, in the
# app-servers-elsewhere mode, a password login over TCP from an allowed address. Run as root.
#
#   sh deploy/postgres/check-setup.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
VERSION=$(ls /etc/postgresql | sort -n | tail -1)
CLUSTER=examcheck
PORT=${PORT:-5499}
PYTHON=${PYTHON:-$HERE/../../.venv/bin/python}

cleanup() { pg_dropcluster --stop "$VERSION" "$CLUSTER" 2>/dev/null || true; }
trap cleanup EXIT
cleanup
pg_createcluster "$VERSION" "$CLUSTER" --port "$PORT" --start >/dev/null

echo "== 1. local app (peer authentication over the unix socket)"
CLUSTER=$CLUSTER sh "$HERE/setup.sh"
q() { runuser -u postgres -- env PGCLUSTER="$VERSION/$CLUSTER" psql -X -tA "$@"; }
[ "$(q -d exam -c 'SHOW synchronous_commit')" = on ]
[ "$(q -d exam -c 'SHOW max_connections')" = 200 ]
[ "$(q -d exam -c 'SHOW idle_in_transaction_session_timeout')" = 1min ]
[ "$(q -c "SELECT pg_get_userbyid(datdba) || ' ' || pg_encoding_to_char(encoding) || ' ' || datcollate FROM pg_database WHERE datname = 'exam'")" = "exam UTF8 C.UTF-8" ]
[ "$(q -c "SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles WHERE rolname = 'exam'")" = f ]
echo "role exam owns database exam (UTF8, C.UTF-8), no superuser rights; exam.conf in force"

echo "== 2. app servers elsewhere (a password over TCP, from listed addresses only)"
OUTPUT=$(CLUSTER=$CLUSTER APP_HOSTS=127.0.0.1 DB_PASSWORD=check-Secret-1 sh "$HERE/setup.sh")
echo "$OUTPUT" | grep -q "EXAM_DATABASE_URL=postgresql+psycopg://exam:check-Secret-1@"
"$PYTHON" - "$PORT" <<'PY'
import sys
import psycopg
with psycopg.connect(host="127.0.0.1", port=int(sys.argv[1]), user="exam",
                     password="check-Secret-1", dbname="exam") as connection:
    connection.execute("CREATE TABLE probe (id int)")
    assert connection.execute("SHOW synchronous_commit").fetchone()[0] == "on"
try:
    psycopg.connect(host="127.0.0.1", port=int(sys.argv[1]), user="exam",
                    password="wrong", dbname="exam").close()
except psycopg.OperationalError:
    print("the exam role logs in over TCP with its password (and not without)")
else:
    sys.exit("a wrong password was accepted")
PY
echo "== 3. running it again changes nothing"
CLUSTER=$CLUSTER APP_HOSTS=127.0.0.1 DB_PASSWORD=check-Secret-1 sh "$HERE/setup.sh" >/dev/null
[ "$(grep -c '^host exam exam 127.0.0.1/32 scram-sha-256$' "/etc/postgresql/$VERSION/$CLUSTER/pg_hba.conf")" = 1 ]
printf '\nPOSTGRES SETUP: PASS\n'
