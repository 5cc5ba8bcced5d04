#!/bin/sh
# Create the platform's PostgreSQL role and database and install the exam-day settings.
# Run as root on the database server (Debian 12, package postgresql installed):
#
#   sudo sh deploy/postgres/setup.sh                 # app on this machine: unix socket, peer
#   sudo APP_HOSTS="10.10.0.11 10.10.0.12" LISTEN="10.10.0.10" sh deploy/postgres/setup.sh
#                                                    # app servers elsewhere: password over TCP
#
# Prints the EXAM_DATABASE_URL to put in /etc/exam/exam.env. Safe to run again.
# CLUSTER=name picks another Debian cluster than "main" (check-setup.sh uses a throwaway one).
set -eu

DB_NAME=${DB_NAME:-exam}
DB_USER=${DB_USER:-exam}
APP_HOSTS=${APP_HOSTS:-}
LISTEN=${LISTEN:-}
CLUSTER=${CLUSTER:-main}
HERE=$(cd "$(dirname "$0")" && pwd)

case "$DB_NAME$DB_USER" in
*[!a-z0-9_]*) echo "DB_NAME and DB_USER: lower-case letters, digits and _ only" >&2; exit 2 ;;
esac

VERSION=$(ls /etc/postgresql | sort -n | tail -1)
CONF_DIR=/etc/postgresql/$VERSION/$CLUSTER
[ -d "$CONF_DIR/conf.d" ] || { echo "no $CONF_DIR/conf.d: is PostgreSQL installed?" >&2; exit 1; }

psql_admin() {
    runuser -u postgres -- env PGCLUSTER="$VERSION/$CLUSTER" psql -X -q -v ON_ERROR_STOP=1 "$@"
}

# The role: no superuser, no createdb; it owns only its database.
if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" ]; then
    psql_admin -c "CREATE ROLE $DB_USER LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
fi
# UTF-8 and the C collation: the app sorts Vietnamese names itself (exam_server/setup/vnsort.py),
# and C keeps indexes fast and identical on every server.
if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
    psql_admin -c "CREATE DATABASE $DB_NAME OWNER $DB_USER ENCODING 'UTF8' \
        LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
fi
psql_admin -d "$DB_NAME" -c "REVOKE ALL ON SCHEMA public FROM PUBLIC" \
    -c "GRANT ALL ON SCHEMA public TO $DB_USER"

install -m 644 "$HERE/exam.conf" "$CONF_DIR/conf.d/exam.conf"

if [ -n "$APP_HOSTS" ]; then
    # App servers on other machines: a password, scram-sha-256, from their addresses only.
    PASSWORD=${DB_PASSWORD:-$(python3 -c 'import secrets; print(secrets.token_urlsafe(24))')}
    psql_admin -c "ALTER ROLE $DB_USER PASSWORD '$PASSWORD'"
    for host in $APP_HOSTS; do
        line="host $DB_NAME $DB_USER $host/32 scram-sha-256"
        grep -qxF "$line" "$CONF_DIR/pg_hba.conf" || echo "$line" >> "$CONF_DIR/pg_hba.conf"
    done
    if [ -n "$LISTEN" ]; then
        echo "listen_addresses = 'localhost,$LISTEN'" > "$CONF_DIR/conf.d/exam-listen.conf"
    fi
    URL="postgresql+psycopg://$DB_USER:$PASSWORD@${LISTEN:-DB-SERVER}/$DB_NAME"
else
    # The app runs as the system user "exam": peer authentication over the unix socket, no
    # password anywhere (Debian's pg_hba.conf allows `local all all peer`).
    URL="postgresql+psycopg://$DB_USER@/$DB_NAME?host=/var/run/postgresql"
fi

systemctl restart "postgresql@$VERSION-$CLUSTER" 2>/dev/null || pg_ctlcluster "$VERSION" "$CLUSTER" restart
echo "PostgreSQL $VERSION ready. In /etc/exam/exam.env set:"
echo "EXAM_DATABASE_URL=$URL"
