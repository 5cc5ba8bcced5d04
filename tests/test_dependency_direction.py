"""DESIGN.md's dependency direction, checked on every import statement of the product.

scoring ← exam_server core ← (question_bank, proctor_console, delivery) ← composition root.
Features do not import each other; scoring is pure.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COMPOSITION_ROOT = {
    "exam_server.app",
    "exam_server.cli",
    "exam_server.wsgi",
    "exam_server.__init__",
}
FEATURES = ("question_bank", "proctor_console", "exam_server.delivery", "exam_server.council")
SCORING_ALLOWED_THIRD_PARTY = {"numpy", "pandas"}


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def modules(package: str):
    for path in sorted((ROOT / package).rglob("*.py")):
        if "migrations" not in path.parts:
            yield module_name(path), imports_of(path)


def feature_of(name: str) -> str | None:
    return next((f for f in FEATURES if name == f or name.startswith(f + ".")), None)


def test_scoring_imports_only_the_standard_library_numpy_and_pandas():
    import sys

    for name, imported in modules("scoring"):
        for target in imported:
            top = target.split(".")[0]
            assert (
                top == "scoring"
                or top in sys.stdlib_module_names
                or top in SCORING_ALLOWED_THIRD_PARTY
            ), f"{name} imports {target}"


def test_the_core_imports_no_feature():
    for name, imported in modules("exam_server"):
        if name in COMPOSITION_ROOT or feature_of(name):
            continue
        bad = sorted(t for t in imported if feature_of(t))
        assert not bad, f"core module {name} imports features {bad}"


def test_features_do_not_import_each_other():
    for package in ("question_bank", "proctor_console", "exam_server"):
        for name, imported in modules(package):
            own = feature_of(name)
            if own is None:
                continue
            bad = sorted(t for t in imported if feature_of(t) not in (None, own))
            assert not bad, f"{name} ({own}) imports {bad}"


def test_no_package_imports_the_composition_root():
    for package in ("scoring", "question_bank", "proctor_console", "exam_server"):
        for name, imported in modules(package):
            if name in COMPOSITION_ROOT:
                continue
            bad = sorted(
                t
                for t in imported
                if t in COMPOSITION_ROOT - {"exam_server.__init__"} or t == "exam_server.app"
            )
            assert not bad, f"{name} imports the composition root {bad}"


def test_the_check_sees_a_violation(tmp_path):
    """The import scan itself must find a feature-to-feature import."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from proctor_console.services import TRANSITIONS\nimport question_bank.formats\n"
    )
    assert {"proctor_console.services", "question_bank.formats"} <= imports_of(sample)
