#!/usr/bin/env python3
"""Set up everything and start the demo on SQLite at http://127.0.0.1:8000.

Usage: python3 deploy/start-demo.py [--port 8000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from _bootstrap import ROOT, ensure_venv, say


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    bin_dir = ensure_venv()
    env = {**os.environ}
    env.setdefault("EXAM_INSTANCE_PATH", str(ROOT / ".instance"))
    examctl = str(bin_dir / "examctl")
    say("preparing the demo database (SQLite in .instance/)")
    subprocess.run([examctl, "demo"], check=True, env=env)
    say(f"starting the server on http://127.0.0.1:{args.port}  (Ctrl+C stops it)")
    try:
        subprocess.run([examctl, "run", "--host", "127.0.0.1", "--port", str(args.port)], env=env)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
