"""The preset registry: exam settings from the rules, keyed by name, loaded from data.

Presets are data (data/presets.json, plus an optional presets.json in the instance folder
that adds or overrides presets). Creating an exam copies a preset's values onto the exam and
its parts; from then on the exam's own values are edited and used, never the preset's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import lazy_gettext as _l

from exam_server.models.exams import CLOCK_MODES, EXAM_KINDS, RESULT_MOMENTS
from exam_server.text import nfc

BUILTIN_FILE = Path(__file__).parent / "data" / "presets.json"

LABELS = {
    "decree170_round1": _l("Round 1 on computer (Decree 170/2025)"),
    "decree170_round2_computer": _l("Round 2 on computer (Decree 170/2025)"),
    "agency_foreign_language": _l("Foreign-language test set by the agency"),
    "pilot_language_it": _l("Pilot: foreign language and IT"),
    "decree138_round1": _l("Round 1 under Decree 138/2020 (history, practice)"),
    "decree116_round1": _l("Round 1 under Decree 116/2024 (history, practice)"),
    "internal_selection": _l("Internal selection test"),
}

KIND_LABELS = {
    "recruitment_round1": _l("Recruitment, round 1"),
    "recruitment_round2": _l("Recruitment, round 2"),
    "foreign_language": _l("Foreign-language test"),
    "pilot": _l("Pilot"),
    "internal_selection": _l("Internal selection"),
}

PASS_BASES = ("share_correct", "points")


class PresetError(ValueError):
    """A preset file holds a value the platform cannot use."""


@dataclass(frozen=True)
class DifficultyGroup:
    difficulty: int
    share: float
    points: float


@dataclass(frozen=True)
class PartPreset:
    title: str
    subject_kind: str
    item_count: int
    duration_minutes: int
    pass_basis: str
    pass_threshold: float
    allowed_types: tuple[str, ...]
    difficulty_groups: tuple[DifficultyGroup, ...]
    shuffle_items: bool = True
    shuffle_options: bool = True
    audio_play_limit: int | None = None
    exemptible: bool = False
    bank_multiplier: float = 3.0
    form_mode: str = "unique"
    pool_size: int = 10
    fairness_tolerance: float = 0.05
    max_exposure: float = 1.0
    neighbour_overlap_max: float = 0.1
    limits: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExamPreset:
    name: str
    kind: str
    source: str
    clock_mode: str
    results_shown: str
    late_entry: tuple[tuple[int | None, int], ...]
    parts: tuple[PartPreset, ...]

    @property
    def label(self) -> Any:
        return LABELS.get(self.name, self.name)

    def late_entry_for(self, test_minutes: int) -> int:
        """Return the late-entry minutes the preset's rule gives a test of this length."""
        for longest, minutes in self.late_entry:
            if longest is None or test_minutes <= longest:
                return minutes
        return self.late_entry[-1][1] if self.late_entry else 0


def _part(raw: Mapping[str, Any], where: str) -> PartPreset:
    try:
        groups = tuple(
            DifficultyGroup(int(g["difficulty"]), float(g["share"]), float(g["points"]))
            for g in raw["difficulty_groups"]
        )
        part = PartPreset(
            title=nfc(raw["title"]),
            subject_kind=raw["subject_kind"],
            item_count=int(raw["item_count"]),
            duration_minutes=int(raw["duration_minutes"]),
            pass_basis=raw["pass_basis"],
            pass_threshold=float(raw["pass_threshold"]),
            allowed_types=tuple(raw["allowed_types"]),
            difficulty_groups=groups,
            shuffle_items=bool(raw.get("shuffle_items", True)),
            shuffle_options=bool(raw.get("shuffle_options", True)),
            audio_play_limit=raw.get("audio_play_limit"),
            exemptible=bool(raw.get("exemptible", False)),
            bank_multiplier=float(raw.get("bank_multiplier", 3.0)),
            form_mode=raw.get("form_mode", "unique"),
            pool_size=int(raw.get("pool_size", 10)),
            fairness_tolerance=float(raw.get("fairness_tolerance", 0.05)),
            max_exposure=float(raw.get("max_exposure", 1.0)),
            neighbour_overlap_max=float(raw.get("neighbour_overlap_max", 0.1)),
            limits=dict(raw.get("limits", {})),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise PresetError(f"{where}: {exc!r}") from exc
    if part.pass_basis not in PASS_BASES:
        raise PresetError(f"{where}: pass_basis {part.pass_basis!r}")
    if abs(sum(g.share for g in groups) - 1.0) > 1e-6:
        raise PresetError(f"{where}: difficulty shares must add up to 1")
    return part


def _exam(name: str, raw: Mapping[str, Any]) -> ExamPreset:
    try:
        preset = ExamPreset(
            name=name,
            kind=raw["kind"],
            source=nfc(raw.get("source", "")),
            clock_mode=raw.get("clock_mode", "scheduled"),
            results_shown=raw.get("results_shown", "at_end"),
            late_entry=tuple(
                (None if longest is None else int(longest), int(minutes))
                for longest, minutes in raw.get("late_entry", [[None, 10]])
            ),
            parts=tuple(
                _part(part, f"{name} part {n}") for n, part in enumerate(raw["parts"], start=1)
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, PresetError):
            raise
        raise PresetError(f"{name}: {exc!r}") from exc
    if preset.kind not in EXAM_KINDS:
        raise PresetError(f"{name}: kind {preset.kind!r} is not one of {EXAM_KINDS}")
    if preset.clock_mode not in CLOCK_MODES or preset.results_shown not in RESULT_MOMENTS:
        raise PresetError(f"{name}: clock_mode or results_shown")
    if not preset.parts:
        raise PresetError(f"{name}: a preset needs at least one part")
    return preset


def parse_presets(data: Mapping[str, Any]) -> dict[str, ExamPreset]:
    """Validate raw preset data (keys starting with "_" are comments)."""
    return {name: _exam(name, raw) for name, raw in data.items() if not name.startswith("_")}


def load_presets(extra_file: str | Path | None = None) -> dict[str, ExamPreset]:
    """Return the registry: the built-in presets, then those of `extra_file` if it exists."""
    registry = parse_presets(json.loads(BUILTIN_FILE.read_text(encoding="utf-8")))
    if extra_file is not None and Path(extra_file).is_file():
        registry.update(parse_presets(json.loads(Path(extra_file).read_text(encoding="utf-8"))))
    return registry


def instance_presets_file(instance_path: str) -> Path:
    """Where an installation keeps its own presets."""
    return Path(instance_path) / "presets.json"
