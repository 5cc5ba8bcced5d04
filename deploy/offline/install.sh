#!/bin/sh
# Install (or upgrade) the exam platform on a Debian 12 server WITHOUT internet, from the
# wheelhouse built by build-wheelhouse.sh. Run as root from the copied deploy folder:
#
#   sh deploy/offline/install.sh exam        # the exam server on the isolated exam LAN
#   sh deploy/offline/install.sh office      # the office server (bank, setup, council)
#   sh deploy/offline/install.sh combined    # everything on one machine (a pilot)
#   sh deploy/offline/install.sh --debs exam # first install the .deb files in deploy/offline/debs
#
# It installs /opt/exam/venv (pip --no-index), /etc/exam (exam.env with a fresh secret key,
# gunicorn.conf.py), the systemd units and the nginx site. It never touches the database and
# never starts the app: set up PostgreSQL (deploy/postgres/setup.sh), check /etc/exam/exam.env,
# then `systemctl start exam` (deploy/README.md, step by step).
#
# DESTDIR=/some/dir lays every file under that folder instead, without creating the system
# user or calling systemctl/nginx: a trial run (deploy/offline/check-offline-install.sh).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
DEPLOY=$(cd "$HERE/.." && pwd)
WHEELHOUSE=${WHEELHOUSE:-$HERE/wheelhouse}
PYTHON=${PYTHON:-python3}
DESTDIR=${DESTDIR:-}
PREFIX=/opt/exam
ETC=/etc/exam

DEBS=no
if [ "${1:-}" = "--debs" ]; then DEBS=yes; shift; fi
ROLE=${1:-}
case "$ROLE" in
office | exam | combined) ;;
*) echo "usage: $0 [--debs] office|exam|combined" >&2; exit 2 ;;
esac

say() { printf '\n== %s\n' "$*"; }
live() { [ -z "$DESTDIR" ]; }

if [ "$DEBS" = yes ]; then
    say "Debian packages from $HERE/debs"
    apt-get install -y --no-download "$HERE"/debs/*.deb
fi

say "Checking the wheelhouse"
[ -f "$WHEELHOUSE/SHA256SUMS" ] || { echo "no $WHEELHOUSE/SHA256SUMS: build it first" >&2; exit 1; }
(cd "$WHEELHOUSE" && sha256sum --check --quiet SHA256SUMS)

if live && ! id exam >/dev/null 2>&1; then
    say "System user exam"
    adduser --system --group --home /var/lib/exam --no-create-home --shell /usr/sbin/nologin exam
fi
OWNER="root:root"
live && OWNER="exam:exam"

say "Python environment in $PREFIX/venv (offline: --no-index)"
[ -x "$DESTDIR$PREFIX/venv/bin/python" ] || "$PYTHON" -m venv "$DESTDIR$PREFIX/venv"
"$DESTDIR$PREFIX/venv/bin/pip" install --quiet --no-index --find-links "$WHEELHOUSE" \
    --upgrade --requirement "$WHEELHOUSE/requirements.txt"
"$DESTDIR$PREFIX/venv/bin/examctl" --help >/dev/null

say "Static files for nginx ($PREFIX/static)"
SITE=$("$DESTDIR$PREFIX/venv/bin/python" -c \
    'import exam_server, os; print(os.path.dirname(os.path.dirname(exam_server.__file__)))')
rm -rf "$DESTDIR$PREFIX/static"
install -d "$DESTDIR$PREFIX/static"
# One link per package folder named static, e.g. exam_server/council/static as
# exam_server.council (the names deploy/nginx/snippets/exam-locations.conf uses).
for folder in $(cd "$SITE" && find exam_server proctor_console question_bank -type d -name static \
    -not -path '*/static/*'); do
    name=$(dirname "$folder" | tr / .)
    ln -sfn "$SITE/$folder" "$DESTDIR$PREFIX/static/$name"
done

say "Deployment files in $PREFIX/deploy and $ETC"
rm -rf "$DESTDIR$PREFIX/deploy"
install -d "$DESTDIR$PREFIX/deploy"
tar -C "$DEPLOY" --exclude=./offline/wheelhouse --exclude=./offline/debs --exclude=__pycache__ \
    -cf - . | tar -C "$DESTDIR$PREFIX/deploy" -xf -
install -d -m 750 "$DESTDIR$ETC"
install -m 644 "$DEPLOY/gunicorn.conf.py" "$DESTDIR$ETC/gunicorn.conf.py"
if [ ! -f "$DESTDIR$ETC/exam.env" ]; then
    # A new installation: a fresh secret key and the chosen role. An existing exam.env is
    # kept as it is (an upgrade must not log everybody out or change the role).
    SECRET=$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(48))')
    sed -e "s|^EXAM_SECRET_KEY=.*|EXAM_SECRET_KEY=$SECRET|" \
        -e "s|^EXAM_SERVER_ROLE=.*|EXAM_SERVER_ROLE=$ROLE|" \
        "$DEPLOY/env.example" > "$DESTDIR$ETC/exam.env"
    chmod 640 "$DESTDIR$ETC/exam.env"
fi
if live; then
    chown root:exam "$ETC" "$ETC/exam.env"
fi
install -d -m 750 "$DESTDIR/var/lib/exam" "$DESTDIR/var/backups/exam"
if live; then
    chown "$OWNER" /var/lib/exam /var/backups/exam
fi

install -d "$DESTDIR/usr/local/bin"
install -m 755 "$HERE/examctl" "$DESTDIR/usr/local/bin/examctl"

say "systemd units"
install -d "$DESTDIR/etc/systemd/system"
for unit in exam.service exam-migrate.service exam-backup.service exam-backup.timer \
    exam-finalise.service exam-finalise.timer; do
    install -m 644 "$DEPLOY/systemd/$unit" "$DESTDIR/etc/systemd/system/$unit"
done

say "nginx site"
install -d "$DESTDIR/etc/nginx/sites-available" "$DESTDIR/etc/nginx/sites-enabled" \
    "$DESTDIR/etc/nginx/snippets"
install -m 644 "$DEPLOY/nginx/exam.conf" "$DESTDIR/etc/nginx/sites-available/exam"
install -m 644 "$DEPLOY/nginx/exam-tls.conf" "$DESTDIR/etc/nginx/sites-available/exam-tls"
for snippet in "$DEPLOY"/nginx/snippets/*.conf; do
    install -m 644 "$snippet" "$DESTDIR/etc/nginx/snippets/$(basename "$snippet")"
done
if [ ! -e "$DESTDIR/etc/nginx/sites-enabled/exam-tls" ]; then
    ln -sfn ../sites-available/exam "$DESTDIR/etc/nginx/sites-enabled/exam"
fi
rm -f "$DESTDIR/etc/nginx/sites-enabled/default"
# Debian's nginx.conf allows 768 connections per nginx worker; a room of terminals, each with
# its connection kept alive, plus the upstream connections need more.
if [ -f "$DESTDIR/etc/nginx/nginx.conf" ]; then
    sed -i 's/^\(\s*worker_connections\) 768;/\1 4096;/' "$DESTDIR/etc/nginx/nginx.conf"
fi

if live; then
    say "Enabling the services (not starting the app)"
    systemctl daemon-reload
    systemctl enable exam.service exam-backup.timer
    if [ "$ROLE" != office ]; then
        systemctl enable exam-finalise.timer
    else
        systemctl disable exam-finalise.timer 2>/dev/null || true
    fi
    if command -v nginx >/dev/null; then
        nginx -t && systemctl reload-or-restart nginx
    fi
fi

say "Done ($ROLE server)"
cat <<NEXT
Next:
  1. PostgreSQL: sh $PREFIX/deploy/postgres/setup.sh   (prints EXAM_DATABASE_URL)
  2. Check $ETC/exam.env (EXAM_DATABASE_URL, EXAM_SERVER_ROLE=$ROLE, EXAM_STAFF_NETWORKS)
  3. systemctl start exam        (runs the migrations first)
  4. examctl create-user admin --role admin     (/usr/local/bin/examctl: user exam, exam.env)
NEXT
