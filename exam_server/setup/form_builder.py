"""Pure form assembly: draw a blueprint from a pool with a recorded seed."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PoolItem:
    version_id: int
    option_ids: tuple[str, ...]
    pinned_ids: frozenset[str]


@dataclass(frozen=True)
class BlueprintCell:
    topic_id: int
    difficulty: int
    count: int
    points: float


@dataclass(frozen=True)
class DrawnItem:
    version_id: int
    option_order: tuple[str, ...]
    points: float


class BlueprintShortfall(ValueError):
    """The pool cannot fill a blueprint cell."""

    def __init__(self, topic_id: int, difficulty: int, needed: int, available: int):
        super().__init__(
            f"topic {topic_id}, difficulty {difficulty}: need {needed}, have {available}"
        )
        self.topic_id = topic_id
        self.difficulty = difficulty
        self.needed = needed
        self.available = available


def shuffle_options(
    option_ids: Sequence[str], pinned: frozenset[str], rng: random.Random
) -> tuple[str, ...]:
    """Shuffle options, leaving every pinned option in its authored slot."""
    free = [option for option in option_ids if option not in pinned]
    rng.shuffle(free)
    moving = iter(free)
    return tuple(option if option in pinned else next(moving) for option in option_ids)


def build_form(
    pool: Mapping[tuple[int, int], Sequence[PoolItem]],
    blueprint: Sequence[BlueprintCell],
    seed: int,
    *,
    shuffle_items: bool,
    shuffle_option_order: bool,
) -> list[DrawnItem]:
    """Draw exactly the blueprint's counts, without repeats; same seed, same form.

    Pools are sorted by version id first, so the result depends only on the seed and
    the pool's content, never on query order.
    """
    rng = random.Random(seed)
    drawn: list[DrawnItem] = []
    for cell in blueprint:
        candidates = sorted(
            pool.get((cell.topic_id, cell.difficulty), ()), key=lambda p: p.version_id
        )
        if len(candidates) < cell.count:
            raise BlueprintShortfall(cell.topic_id, cell.difficulty, cell.count, len(candidates))
        for item in rng.sample(candidates, cell.count):
            order = (
                shuffle_options(item.option_ids, item.pinned_ids, rng)
                if shuffle_option_order
                else item.option_ids
            )
            drawn.append(DrawnItem(item.version_id, order, cell.points))
    if shuffle_items:
        rng.shuffle(drawn)
    return drawn
