#!/usr/bin/env python3
"""Keep each package's Vietnamese catalogue in step with its code.

    python3 deploy/i18n.py update [PACKAGE…]  # extract strings into each package's
                                              # translations/vi/LC_MESSAGES/messages.po
    python3 deploy/i18n.py compile  # compile every messages.po to messages.mo

New strings arrive untranslated (empty msgstr); the test suite fails until they are translated.
Uses Babel only (no import of the application).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Each catalogue root owns the strings below it, except those under a nested root.
PACKAGES = (
    "exam_server",
    "exam_server/setup",
    "exam_server/council",
    "proctor_console",
    "question_bank",
)
BABEL_CFG = ROOT / "exam_server" / "translations" / "babel.cfg"
KEYWORDS = ["-k", "_l", "-k", "N_", "-k", "lazy_gettext"]


def pybabel(*args: str) -> None:
    subprocess.run([str(Path(sys.executable).with_name("pybabel")), *args], check=True, cwd=ROOT)


def update(packages=PACKAGES) -> None:
    for package in packages:
        folder = ROOT / package / "translations"
        pot = folder / "messages.pot"
        folder.mkdir(exist_ok=True)
        # A nested catalogue root (exam_server/setup) owns its strings: skip it here.
        nested = [p.rsplit("/", 1)[1] for p in PACKAGES if p.startswith(package + "/")]
        pybabel(
            "extract",
            "-F",
            str(BABEL_CFG),
            *KEYWORDS,
            "--no-location",
            "--sort-output",
            "--ignore-dirs",
            " ".join(["migrations", *nested]),
            "-o",
            str(pot),
            package,
        )
        po = folder / "vi" / "LC_MESSAGES" / "messages.po"
        if po.exists():
            pybabel(
                "update",
                "-i",
                str(pot),
                "-d",
                str(folder),
                "-l",
                "vi",
                "--no-fuzzy-matching",
                "--ignore-obsolete",
            )
        else:
            pybabel("init", "-i", str(pot), "-d", str(folder), "-l", "vi")
        pot.unlink()


def compile_all() -> None:
    for package in PACKAGES:
        folder = ROOT / package / "translations"
        if (folder / "vi" / "LC_MESSAGES" / "messages.po").exists():
            pybabel("compile", "-d", str(folder), "-l", "vi")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "update":
        update(sys.argv[2:] or PACKAGES)
    elif command == "compile":
        compile_all()
    else:
        sys.exit(__doc__)
