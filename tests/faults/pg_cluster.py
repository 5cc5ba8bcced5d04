"""A private PostgreSQL cluster for one test: initdb in a temporary folder, its own port.

Other people use the machine's PostgreSQL while the suite runs, so a test that restarts the
database restarts only this one. The server binaries run as the `postgres` OS user.
"""

from __future__ import annotations

import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.e2e.conftest import free_port

BIN = Path("/usr/lib/postgresql/15/bin")


def _as_postgres(*command: str, timeout: float = 60) -> subprocess.CompletedProcess:
    result = subprocess.run(
        ["runuser", "-u", "postgres", "--", *command],
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {result.stdout}\n{result.stderr}")
    return result


class PrivateCluster:
    """initdb + pg_ctl start on a free port, trust authentication, removed on exit."""

    def __init__(self, _tmp_path: Path):
        # Not under pytest's tmp_path: its parents are private to root, and the server runs
        # as the postgres user.
        self.root = Path(tempfile.mkdtemp(prefix="exam-faults-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()

    def __enter__(self) -> PrivateCluster:
        account = pwd.getpwnam("postgres")
        self.root.chmod(0o755)
        shutil.chown(self.root, account.pw_uid, account.pw_gid)
        _as_postgres(
            str(BIN / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",  # only initdb's own files; the running server still fsyncs commits
        )
        self.start()
        return self

    def __exit__(self, *_exc) -> None:
        try:
            self.stop(mode="immediate")
        except (RuntimeError, subprocess.TimeoutExpired):
            pass
        shutil.rmtree(self.root, ignore_errors=True)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=on"
        _as_postgres(
            str(BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "start",
        )

    def stop(self, mode: str = "fast") -> None:
        _as_postgres(str(BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"
