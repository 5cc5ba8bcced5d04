import ast
import sys
from pathlib import Path

import scoring

PACKAGE = Path(scoring.__file__).parent
THIRD_PARTY = {"numpy", "pandas"}
# Standard-library modules that would bring a clock, randomness or I/O into scoring.
FORBIDDEN = {"datetime", "time", "random", "os", "pathlib", "socket", "subprocess", "shutil"}


def imported_roots(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            yield node.module.split(".")[0]


def test_scoring_imports_only_the_standard_library_numpy_and_pandas():
    files = sorted(PACKAGE.glob("*.py"))
    assert len(files) > 5
    for path in files:
        for root in imported_roots(path):
            allowed = root in THIRD_PARTY or root == "scoring" or root == "__future__"
            allowed = allowed or (root in sys.stdlib_module_names and root not in FORBIDDEN)
            assert allowed, f"{path.name} imports {root}"


def test_public_names_are_exported():
    for name in scoring.__all__:
        assert hasattr(scoring, name), name
