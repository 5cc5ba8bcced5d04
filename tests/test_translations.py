"""Every user-facing string is in the Vietnamese catalogue of the package that owns it.

Each package keeps its own catalogue (`<package>/translations/vi/LC_MESSAGES/messages.po`,
compiled to `.mo`); this test extracts the strings from the code and templates exactly as
`pybabel extract` does and checks that each one is translated, with the same placeholders,
and that the compiled `.mo` matches the `.po`.
"""

from __future__ import annotations

import io
import re
import unicodedata
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE_ROOTS = (
    "exam_server",
    "exam_server/setup",
    "exam_server/council",
    "proctor_console",
    "question_bank",
)
PACKAGES = CATALOGUE_ROOTS
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "N_": None,
}
METHOD_MAP = [
    ("**/migrations/**", "ignore"),
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def extracted(package: str) -> set[str]:
    nested = [
        root[len(package) + 1 :] for root in CATALOGUE_ROOTS if root.startswith(package + "/")
    ]
    method_map = [(f"{folder}/**", "ignore") for folder in nested] + METHOD_MAP
    messages = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / package), method_map, keywords=KEYWORDS, options_map={"**/templates/**.html": {}}
    ):
        messages.add(message[0] if isinstance(message, tuple) else message)
    return messages


def catalogue_path(package: str) -> Path:
    return ROOT / package / "translations" / "vi" / "LC_MESSAGES" / "messages.po"


def packages_with_strings():
    return [p for p in PACKAGES if (ROOT / p).is_dir() and extracted(p)]


@pytest.mark.parametrize("package", packages_with_strings())
def test_every_string_has_a_vietnamese_translation(package):
    path = catalogue_path(package)
    assert path.exists(), f"{package} has user-facing strings but no catalogue at {path}"
    catalog = _read(path)
    translated = {
        (m.id[0] if isinstance(m.id, tuple) else m.id): m for m in catalog if m.id and not m.fuzzy
    }
    missing = sorted(
        s for s in extracted(package) if s not in translated or not _text(translated[s])
    )
    assert not missing, (
        f"{package}: {len(missing)} strings without a Vietnamese translation: {missing[:10]}"
    )


@pytest.mark.parametrize("package", packages_with_strings())
def test_translations_keep_placeholders_and_are_nfc(package):
    catalog = _read(catalogue_path(package))
    for message in catalog:
        if not message.id:
            continue
        source = message.id[0] if isinstance(message.id, tuple) else message.id
        text = _text(message)
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(text)), source
        assert unicodedata.is_normalized("NFC", text), source


@pytest.mark.parametrize("package", packages_with_strings())
def test_the_compiled_catalogue_matches_its_source(package):
    po = _read(catalogue_path(package))
    mo_path = catalogue_path(package).with_suffix(".mo")
    assert mo_path.exists(), f"compile it: pybabel compile -d {package}/translations"
    mo = read_mo(io.BytesIO(mo_path.read_bytes()))
    source = {_key(m.id): _key(m.string) for m in po if m.id and m.string and not m.fuzzy}
    compiled = {_key(m.id): _key(m.string) for m in mo if m.id}
    assert source == compiled, f"{mo_path} is stale: pybabel compile -d {package}/translations"


def _key(value):
    return value if isinstance(value, str) else tuple(value)


def _read(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _text(message) -> str:
    if isinstance(message.string, tuple):
        return message.string[0]
    return message.string or ""


def test_no_string_is_translated_differently_in_two_catalogues():
    """Babel merges the catalogues per request and the last one wins: keep them consistent."""
    seen: dict[str, tuple[str, str]] = {}
    conflicts = []
    for package in packages_with_strings():
        for message in _read(catalogue_path(package)):
            if not message.id or isinstance(message.id, tuple):
                continue
            text = _text(message)
            if message.id in seen and seen[message.id][1] != text:
                conflicts.append((message.id, seen[message.id], (package, text)))
            seen.setdefault(message.id, (package, text))
    assert not conflicts, conflicts
