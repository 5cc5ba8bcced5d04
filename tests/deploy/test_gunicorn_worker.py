"""Silent connections (terminals connected before the room starts) must not hold gunicorn's threads.

With gunicorn's own gthread worker (24 and later) each silent connection takes a thread for
five seconds, so a request arriving behind a few of them waits; with the project's worker
it is answered at once.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from exam_server.gunicorn_worker import WORKER_CLASS
from tests.e2e.conftest import free_port, stop

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
SILENT_CONNECTIONS = 8
THREADS = 2
# Well under gunicorn's five-second wait per silent connection, far above a local answer.
ANSWER_WITHIN_SECONDS = 4


def ask(sock: socket.socket, path: str) -> bytes:
    """Send one request; return its whole response, body included.

    The body must be read too: on a busy machine it can arrive after the headers, and left
    unread it would be taken for the start of the next response on this connection.
    """
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n".encode())
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(4096)
        if not chunk:
            return received
        received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    while length and len(body) < int(length.group(1)):
        chunk = sock.recv(4096)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


@pytest.fixture
def tiny_server(tmp_path):
    (tmp_path / "tiny.py").write_text(
        textwrap.dedent(
            """
            def app(environ, start_response):
                body = environ["PATH_INFO"].encode()
                start_response("200 OK", [("Content-Length", str(len(body)))])
                return [body]
            """
        )
    )
    port = free_port()
    command = [GUNICORN, "--chdir", str(tmp_path), "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", "1", "--threads", str(THREADS), "--worker-class", WORKER_CLASS]
    with open(tmp_path / "server.log", "w") as log:
        process = subprocess.Popen(
            [*command, "tiny:app"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                if ask(probe, "/ready").startswith(b"HTTP/1.1 200"):
                    break
        except OSError:
            time.sleep(0.1)
    else:
        stop(process)
        pytest.fail("gunicorn did not start:\n" + (tmp_path / "server.log").read_text())
    yield port
    stop(process)


def test_a_request_is_answered_while_silent_connections_are_open(tiny_server):
    silent = [
        socket.create_connection(("127.0.0.1", tiny_server)) for _ in range(SILENT_CONNECTIONS)
    ]
    try:
        time.sleep(0.3)  # the worker has accepted them all
        with socket.create_connection(
            ("127.0.0.1", tiny_server), timeout=ANSWER_WITHIN_SECONDS
        ) as busy:
            assert ask(busy, "/save").startswith(b"HTTP/1.1 200")
            assert ask(busy, "/again").startswith(b"HTTP/1.1 200")  # and it stays kept alive
        # A connection that was silent is served when its terminal finally speaks.
        silent[0].settimeout(ANSWER_WITHIN_SECONDS)
        assert ask(silent[0], "/late").startswith(b"HTTP/1.1 200")
    finally:
        for sock in silent:
            sock.close()
