"""Damaged input of any kind gives errors, never an exception."""

import random
from pathlib import Path

import pytest

from question_bank.formats import FORMATS, ParseResult, export, parse

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_FILES = sorted(
    path for path in FIXTURES.rglob("*") if path.is_file() and path.suffix != ".png"
)


def _damaged(data: bytes, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    variants = [data[: len(data) * cut // 4] for cut in (1, 2, 3)]
    for _ in range(6):
        flipped = bytearray(data)
        for _ in range(max(1, len(data) // 50)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        variants.append(bytes(flipped))
    variants.append(bytes(rng.randrange(256) for _ in range(300)))
    return variants


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda path: path.name)
def test_damaged_text_fixtures_never_raise(path):
    for index, data in enumerate(_damaged(path.read_bytes(), seed=len(path.name))):
        for fmt in FORMATS:
            result = parse(data, path.name, fmt=fmt)
            assert isinstance(result, ParseResult)
            assert result.records or result.errors, (fmt, index)


@pytest.mark.parametrize("fmt", ["xlsx", "qti"])
def test_damaged_archives_never_raise(fmt, sample_records):
    data = export(sample_records, fmt)
    for damaged in _damaged(data, seed=7):
        result = parse(damaged, f"x.{fmt}", fmt=fmt)
        assert isinstance(result, ParseResult)
        assert result.records or result.errors


def test_empty_input_is_an_error_in_every_format():
    for fmt in FORMATS:
        result = parse(b"", "empty", fmt=fmt)
        assert result.records == () and result.errors, fmt
