#!/usr/bin/env python3
"""Try the nginx site for real: nginx in front of gunicorn (deploy/gunicorn.conf.py), on loopback.

    .venv/bin/python deploy/nginx/check-site.py        (needs the nginx binary; not a pytest test)

It lays the site (exam.conf, then exam-tls.conf with a throwaway certificate) into a private
nginx prefix, with only the addresses, ports and paths changed, and checks what a deployment
relies on: static files come from disk (gunicorn never sees them) and are revalidated, pages
are never cached, answers are saved through the proxy, the app sees the terminal's address
(EXAM_STAFF_NETWORKS works behind nginx), oversized uploads are refused, and HTTP redirects to
HTTPS. Prints "NGINX SITE: PASS" or stops at the first failure.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

HERE = Path(__file__).resolve().parent
DEPLOY = HERE.parent
ROOT = DEPLOY.parent
BIN = Path(sys.executable).parent
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
PAPER = re.compile(r'<script type="application/json" id="paper-data">(.*?)</script>', re.S)
STATIC = {  # the links install.sh makes under /opt/exam/static
    "exam_server": ROOT / "exam_server" / "static",
    "exam_server.setup": ROOT / "exam_server" / "setup" / "static",
    "exam_server.council": ROOT / "exam_server" / "council" / "static",
    "proctor_console": ROOT / "proctor_console" / "static",
    "question_bank": ROOT / "question_bank" / "static",
}
TERMINAL = "127.0.0.3"  # the "terminal": a loopback address of its own
STAFF_ONLY = "127.0.0.4"  # the office: the only network allowed on staff pages


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SourceAddress(HTTPAdapter):
    """Connect from a chosen loopback address, as a different machine on the LAN would."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


def browser(address: str) -> requests.Session:
    session = requests.Session()
    session.mount("http://", SourceAddress(address))
    session.mount("https://", SourceAddress(address))
    return session


def wait_for(url: str, process: subprocess.Popen, **kwargs) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise SystemExit(f"{process.args[0]} exited during start-up")
        try:
            requests.get(url, timeout=2, **kwargs)
            return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not answer")


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"FAIL: {what}")
    print(f"  ok  {what}")


def lay_out_site(prefix: Path, site: str, app_port: int, http_port: int, https_port: int) -> Path:
    """Copy the site and its snippets into an nginx prefix, changing only ports and paths."""
    (prefix / "snippets").mkdir(parents=True)
    for snippet in (HERE / "snippets").glob("*.conf"):
        text = snippet.read_text().replace("/opt/exam/static/", f"{prefix}/static/")
        (prefix / "snippets" / snippet.name).write_text(text)
    (prefix / "static").mkdir()
    for package, folder in STATIC.items():
        (prefix / "static" / package).symlink_to(folder)
    text = (HERE / site).read_text()
    text = text.replace("server 127.0.0.1:8000;", f"server 127.0.0.1:{app_port};")
    text = re.sub(r"\n\s*listen \[::\]:\d+[^;]*;", "", text)
    text = text.replace("listen 80 default_server;", f"listen 127.0.0.1:{http_port};")
    text = text.replace("listen 443 ssl default_server;", f"listen 127.0.0.1:{https_port} ssl;")
    text = text.replace(
        "return 301 https://$host$request_uri;",
        f"return 301 https://$host:{https_port}$request_uri;",
    )
    text = text.replace("/var/log/nginx/", f"{prefix}/logs/")
    text = text.replace("/etc/exam/tls/", f"{prefix}/tls/")
    (prefix / "logs").mkdir()
    (prefix / "site.conf").write_text(text)
    temp = prefix / "temp"
    (prefix / "nginx.conf").write_text(
        f"""
user {getpass.getuser()};
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {prefix}/site.conf;
}}
"""
    )
    temp.mkdir()
    return prefix / "nginx.conf"


def start_nginx(config: Path) -> subprocess.Popen:
    tested = subprocess.run(
        ["nginx", "-t", "-p", str(config.parent), "-c", str(config)],
        capture_output=True,
        text=True,
    )
    check(tested.returncode == 0, f"nginx -t accepts the site ({tested.stderr.strip()[-200:]})")
    return subprocess.Popen(
        ["nginx", "-p", str(config.parent), "-c", str(config)], start_new_session=True
    )


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def sit_through_nginx(base: str, logins: dict) -> None:
    """A proctor starts the room and a candidate saves answers, all through nginx."""
    staff = browser(STAFF_ONLY)
    page = staff.get(base + "/staff/login")
    home = staff.post(
        base + "/staff/login",
        data={
            "csrf_token": CSRF.search(page.text).group(1),
            "username": "giamthi1",
            "password": logins["staff"]["giamthi1"],
        },
    )
    rooms = staff.get(base + re.search(r'href="(/proctor/exams/\d+/rooms)"', home.text).group(1))
    action = re.search(r'action="(/proctor/rooms/\d+/action)"', rooms.text).group(1)
    staff.post(
        base + action, data={"csrf_token": CSRF.search(rooms.text).group(1), "action": "start"}
    )

    candidate = browser(TERMINAL)
    sbd, code = logins["candidates"][0]
    page = candidate.get(base + "/login")
    wait = candidate.post(
        base + "/login",
        data={
            "csrf_token": CSRF.search(page.text).group(1),
            "registration_number": sbd,
            "access_code": code,
        },
    )
    check(wait.url.endswith("/wait"), "a candidate signs in through nginx")
    exam = candidate.post(base + "/start", data={"csrf_token": CSRF.search(wait.text).group(1)})
    paper = json.loads(PAPER.search(exam.text).group(1))
    token = CSRF.search(exam.text).group(1)
    item = next(i for i in paper["items"] if i["type"] != "fill_blank")
    seq = paper["last_seq"]
    for choice in (0, 1, 2):
        seq += 1
        change = {"seq": seq, "kind": "answer", "position": item["position"], "value": [choice]}
        ack = candidate.post(
            f"{base}/api/attempts/{paper['attempt_id']}/changes",
            json={"changes": [change]},
            headers={"X-CSRFToken": token},
        )
        check(
            ack.status_code == 200 and ack.json()["acked_seq"] == seq,
            f"answer change {seq} acknowledged",
        )
    again = json.loads(PAPER.search(candidate.get(base + "/exam").text).group(1))
    check(again["answers"][str(item["position"])] == [2], "the reloaded page holds the last answer")
    check(
        exam.headers.get("Cache-Control") == "no-store",
        "the exam page reaches the terminal with Cache-Control: no-store",
    )
    big = candidate.post(
        f"{base}/api/attempts/{paper['attempt_id']}/changes",
        data=b"x" * (2 * 1024 * 1024),
        headers={"X-CSRFToken": token, "Content-Type": "application/json"},
    )
    check(big.status_code == 413, "a 2 MB body on the save endpoint is refused by nginx (413)")


def main() -> int:
    if shutil.which("nginx") is None:
        print("nginx is not installed (apt-get install nginx)", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="exam-nginx-"))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("EXAM_")},
        "EXAM_ENV": "production",
        "EXAM_SECRET_KEY": "nginx-check",
        "EXAM_INSTANCE_PATH": str(workdir / "instance"),
        "EXAM_DATABASE_URL": f"sqlite:///{workdir}/exam.sqlite3",
        "EXAM_BCRYPT_ROUNDS_STAFF": "4",
        "EXAM_BCRYPT_ROUNDS_CANDIDATE": "4",
        "EXAM_STAFF_NETWORKS": f"{STAFF_ONLY}/32",
    }
    logins_file = workdir / "logins.json"
    subprocess.run(
        [str(BIN / "examctl"), "demo", "--logins-file", str(logins_file)],
        env={**env, "EXAM_ENV": "development"},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    logins = json.loads(logins_file.read_text())
    app_port = free_port()
    app_log = workdir / "gunicorn.log"
    with open(app_log, "w") as log:
        app = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--config",
                str(DEPLOY / "gunicorn.conf.py"),
                "exam_server.wsgi:app",
            ],
            env={**env, "GUNICORN_BIND": f"127.0.0.1:{app_port}", "WEB_CONCURRENCY": "2"},
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    processes = [app]
    try:
        wait_for(f"http://127.0.0.1:{app_port}/login", app)

        print("exam.conf (HTTP)")
        http_port, https_port = free_port(), free_port()
        config = lay_out_site(workdir / "http", "exam.conf", app_port, http_port, https_port)
        nginx = start_nginx(config)
        processes.append(nginx)
        base = f"http://127.0.0.1:{http_port}"
        wait_for(base + "/login", nginx)
        for path in (
            "/staff/exams/static/setup.css",
            "/council/static/council.css",
            "/static/css/app.css",
            "/static/js/exam.js",
            "/proctor/static/grid.js",
            "/bank/static/bank.css",
        ):
            response = requests.get(base + path)
            check(
                response.status_code == 200 and response.headers.get("Cache-Control") == "no-cache",
                f"{path} served with Cache-Control: no-cache",
            )
        etag = requests.get(base + "/static/js/exam.js").headers["ETag"]
        again = requests.get(base + "/static/js/exam.js", headers={"If-None-Match": etag})
        check(again.status_code == 304, "a revalidated static file costs a 304")
        check(
            requests.get(base + "/static/../exam_server/app.py").status_code in (400, 404),
            "no path escapes the static folders",
        )
        time.sleep(0.5)
        check("/static/" not in app_log.read_text(), "gunicorn never saw a static file request")
        login = requests.get(base + "/login")
        check(
            login.status_code == 200 and login.headers.get("Cache-Control") == "no-store",
            "/login proxied, Cache-Control: no-store",
        )
        check("Content-Security-Policy" in login.headers, "the app's security headers pass through")
        check(
            browser(TERMINAL).get(base + "/staff/login").status_code == 403,
            "a terminal's address is refused on staff pages (EXAM_STAFF_NETWORKS)",
        )
        check(
            browser(STAFF_ONLY).get(base + "/staff/login").status_code == 200,
            "the office address is allowed: the app sees the client, not nginx",
        )
        upload = requests.post(base + "/staff/login", data=b"x" * (51 * 1024 * 1024))
        check(
            upload.status_code == 413,
            "a 51 MB upload is refused by nginx (client_max_body_size 50m)",
        )
        sit_through_nginx(base, logins)
        stop(nginx)

        print("exam-tls.conf (HTTPS)")
        config = lay_out_site(workdir / "tls", "exam-tls.conf", app_port, free_port(), free_port())
        tls = config.parent / "tls"
        tls.mkdir()
        subprocess.run(
            [
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1",
                "-keyout",
                str(tls / "exam.key"),
                "-out",
                str(tls / "exam.crt"),
            ],
            check=True,
            capture_output=True,
        )
        site = (config.parent / "site.conf").read_text()
        http_port = int(re.search(r"listen 127\.0\.0\.1:(\d+);", site).group(1))
        https_port = int(re.search(r"listen 127\.0\.0\.1:(\d+) ssl;", site).group(1))
        nginx = start_nginx(config)
        processes.append(nginx)
        secure = f"https://127.0.0.1:{https_port}"
        wait_for(secure + "/login", nginx, verify=str(tls / "exam.crt"))
        redirect = requests.get(f"http://127.0.0.1:{http_port}/login", allow_redirects=False)
        check(
            redirect.status_code == 301 and redirect.headers["Location"] == secure + "/login",
            "HTTP redirects to HTTPS",
        )
        page = requests.get(secure + "/login", verify=str(tls / "exam.crt"))
        check(page.status_code == 200 and "csrf-token" in page.text, "/login over HTTPS")
        script = requests.get(
            secure + "/static/js/exam.js",
            verify=str(tls / "exam.crt"),
            headers={"Accept-Encoding": "gzip"},
        )
        check(script.headers.get("Content-Encoding") == "gzip", "static scripts are compressed")
        check(page.headers.get("Content-Encoding") is None, "pages are not compressed (BREACH)")
    finally:
        for process in reversed(processes):
            stop(process)
    print("\nNGINX SITE: PASS")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
