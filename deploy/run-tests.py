#!/usr/bin/env python3
"""Set up everything and run the whole test suite (extra arguments go to pytest).

Usage: python3 deploy/run-tests.py [pytest arguments]
PostgreSQL: set EXAM_TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import subprocess
import sys

from _bootstrap import ROOT, ensure_browsers, ensure_venv, say


def main() -> int:
    bin_dir = ensure_venv("test")
    ensure_browsers()
    say("running the test suite")
    result = subprocess.run([str(bin_dir / "python"), "-m", "pytest", *sys.argv[1:]], cwd=ROOT)
    if result.returncode == 5:
        print("no test was collected: that is a failure", file=sys.stderr)
        return 1
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
