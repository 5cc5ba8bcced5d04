"""Shared set-up for the README's commands: a project venv with the package installed.

Only the standard library is used here: this runs on a fresh machine with just Python 3.11+.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
BROWSERS = {"chromium": Path("/usr/bin/chromium"), "firefox-esr": Path("/usr/bin/firefox-esr")}


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def ensure_python() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (this script runs before the check can hold)
        sys.exit(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}.")


def ensure_venv(extras: str = "") -> Path:
    """Create .venv and install the project (with `extras`) when pyproject.toml changed."""
    ensure_python()
    if not (BIN / "python").exists():
        say(f"creating a virtual environment in {VENV}")
        try:
            venv.EnvBuilder(with_pip=True).create(VENV)
        except Exception as exc:  # Debian without python3-venv lands here
            sys.exit(
                f"Could not create a virtual environment ({exc}). "
                "On Debian: apt-get install python3-venv"
            )
    stamp = VENV / f".installed{extras or '-base'}"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not stamp.exists() or stamp.read_text() != wanted:
        target = f".[{extras}]" if extras else "."
        say(f"installing the platform and its dependencies ({target})")
        pip = [str(BIN / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
        subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
        subprocess.run([*pip, "install", "-e", target], check=True, cwd=ROOT)
        stamp.write_text(wanted)
    return BIN


def ensure_browsers() -> None:
    """Install Debian's Chromium and Firefox ESR (and a font with Vietnamese glyphs).

    Terminals run either browser; the end-to-end tests drive both with Playwright.
    """
    missing = [package for package, path in BROWSERS.items() if not path.exists()]
    if not missing:
        return
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        sys.exit(
            "The browser tests need Debian's Chromium (/usr/bin/chromium) and Firefox ESR\n"
            "(/usr/bin/firefox-esr). Install them as root:\n"
            "  apt-get install -y chromium firefox-esr fonts-dejavu-core"
        )
    say(f"installing {' and '.join(missing)} and fonts from Debian's packages")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(
        [
            "apt-get",
            "install",
            "-y",
            "-qq",
            "--no-install-recommends",
            *missing,
            "fonts-dejavu-core",
        ],
        check=True,
        env=env,
    )
