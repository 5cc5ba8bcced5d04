#!/bin/sh
# Check deploy/postgres/exam.conf against the installed PostgreSQL server binaries: a throwaway
# cluster includes it, and `postgres -C` reads every setting back (a wrong name or value stops
# it). Run as root (the cluster belongs to the postgres user); touches no running cluster.
#
#   sh deploy/postgres/check-conf.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
BINDIR=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
WORK=$(mktemp -d /tmp/exam-pgconf-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
chown postgres "$WORK"
runuser -u postgres -- "$BINDIR/initdb" -D "$WORK/data" --auth=trust >/dev/null
cp "$HERE/exam.conf" "$WORK/data/exam.conf"
chown postgres "$WORK/data/exam.conf"
echo "include 'exam.conf'" >> "$WORK/data/postgresql.conf"
for name in $(grep -E '^[a-z_]+ *=' "$HERE/exam.conf" | cut -d= -f1); do
    value=$(runuser -u postgres -- "$BINDIR/postgres" -D "$WORK/data" -C "$name")
    printf '  %-40s %s\n' "$name" "$value"
done
echo "exam.conf: every setting accepted by $("$BINDIR/postgres" --version)"
