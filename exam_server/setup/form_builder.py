"""Pure form assembly: draw a blueprint from a pool with a recorded seed.

Everything here is a function of (pool, blueprint, seed, settings): the same inputs always give
the same form, which is how a stored form is re-checked from its seed. No database, no clock.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import itertools
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

# Options up to this many free positions get all their orders precomputed (6! = 720):
# picking one is a single random draw, which keeps 10,000 forms within the time budget.
PRECOMPUTED_FREE_OPTIONS = 6


@dataclass(frozen=True)
class PoolItem:
    version_id: int
    option_ids: tuple[str, ...]
    pinned_ids: frozenset[str]
    # Share of candidates answering correctly (item statistics), when known.
    facility: float | None = None


@dataclass(frozen=True)
class BlueprintCell:
    topic_id: int
    difficulty: int
    count: int
    points: float


class DrawnItem(NamedTuple):
    version_id: int
    option_order: tuple[str, ...]
    points: float


# DrawnItem(a, b, c) runs a Python-level __new__; tuple.__new__(DrawnItem, (a, b, c)) builds the
# same named tuple in C, which counts when 10,000 forms draw 1.2 million of them.
_drawn = tuple.__new__


@dataclass(frozen=True)
class Fairness:
    """Keep a form's expected score (sum of points × facility) within target ± tolerance."""

    target: float
    tolerance: float


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


class FairnessUnreachable(ValueError):
    """No swap within the blueprint brings the form's expected score into tolerance."""

    def __init__(self, expected: float, target: float, tolerance: float):
        super().__init__(
            f"expected score {expected:.2f} cannot come within {tolerance:.2f} of {target:.2f}"
        )
        self.expected = expected
        self.target = target
        self.tolerance = tolerance


@dataclass
class PreparedPool:
    """A pool sorted once, with every item's possible option orders, reused for many forms."""

    cells: dict[tuple[int, int], tuple[PoolItem, ...]]
    orders: dict[int, tuple[tuple[str, ...], ...]] = field(default_factory=dict)
    by_facility: dict[tuple[int, int], tuple[PoolItem, ...]] = field(default_factory=dict)

    def get(self, key: tuple[int, int], default=()):
        return self.cells.get(key, default)


def _orders(item: PoolItem) -> tuple[tuple[str, ...], ...]:
    return _orders_of(item.option_ids, item.pinned_ids)


@functools.lru_cache(maxsize=4096)
def _orders_of(
    option_ids: tuple[str, ...], pinned_ids: frozenset[str]
) -> tuple[tuple[str, ...], ...]:
    """Every order of the options with pinned ones in place (most items share their ids)."""
    free = [i for i, option in enumerate(option_ids) if option not in pinned_ids]
    if len(free) > PRECOMPUTED_FREE_OPTIONS:
        return ()
    result = []
    for perm in itertools.permutations(free):
        order = list(option_ids)
        for slot, source in zip(free, perm, strict=True):
            order[slot] = option_ids[source]
        result.append(tuple(order))
    return tuple(result)


def _sample(random_draw, population: Sequence[PoolItem], count: int) -> list[PoolItem]:
    """Draw `count` distinct items, uniformly, from one random() stream (fast and stable)."""
    size = len(population)
    if count * 3 > size:
        # Dense draws: a partial Fisher–Yates shuffle over a copy.
        pool = list(population)
        for i in range(count):
            j = i + int(random_draw() * (size - i))
            pool[i], pool[j] = pool[j], pool[i]
        return pool[:count]
    seen: set[int] = set()
    chosen = []
    while len(chosen) < count:
        j = int(random_draw() * size)
        if j not in seen:
            seen.add(j)
            chosen.append(population[j])
    return chosen


def _shuffle(random_draw, items: list) -> None:
    """Fisher–Yates shuffle driven by random() (one call per position)."""
    for i in range(len(items) - 1, 0, -1):
        j = int(random_draw() * (i + 1))
        items[i], items[j] = items[j], items[i]


def prepare_pool(pool: Mapping[tuple[int, int], Sequence[PoolItem]] | PreparedPool) -> PreparedPool:
    """Sort each cell by version id so a draw depends only on the seed and the pool's content."""
    if isinstance(pool, PreparedPool):
        return pool
    cells = {key: tuple(sorted(items, key=lambda p: p.version_id)) for key, items in pool.items()}
    orders = {item.version_id: _orders(item) for items in cells.values() for item in items}
    by_facility = {
        key: tuple(sorted(items, key=lambda p: (p.facility or 0.0, p.version_id)))
        for key, items in cells.items()
    }
    return PreparedPool(cells, orders, by_facility)


def pool_digest(pool: PreparedPool) -> str:
    """Return a digest of the pool's content (which versions, with which facility, per cell)."""
    digest = hashlib.sha256()
    for key in sorted(pool.cells):
        for item in pool.cells[key]:
            digest.update(f"{key[0]}:{key[1]}:{item.version_id}:{item.facility!r};".encode())
    return digest.hexdigest()


def shuffle_options(
    option_ids: Sequence[str], pinned: frozenset[str], rng: random.Random
) -> tuple[str, ...]:
    """Shuffle options, leaving every pinned option in its authored slot."""
    free = [option for option in option_ids if option not in pinned]
    rng.shuffle(free)
    moving = iter(free)
    return tuple(option if option in pinned else next(moving) for option in option_ids)


def expected_points(items: Sequence[PoolItem], points: float) -> float:
    return sum((item.facility or 0.0) for item in items) * points


def build_form(
    pool: Mapping[tuple[int, int], Sequence[PoolItem]] | PreparedPool,
    blueprint: Sequence[BlueprintCell],
    seed: int,
    *,
    shuffle_items: bool,
    shuffle_option_order: bool,
    fairness: Fairness | None = None,
    excluded: frozenset[int] = frozenset(),
) -> list[DrawnItem]:
    """Draw exactly the blueprint's counts, without repeats; same seed, same form.

    With `fairness`, items are then swapped within their own cell (so the blueprint stays
    exact) until the form's expected score is within tolerance of the target. `excluded`
    versions (held back by exposure control) are never drawn.
    """
    prepared = prepare_pool(pool)
    keys = [(cell.topic_id, cell.difficulty) for cell in blueprint]
    if len(set(keys)) != len(keys):
        raise ValueError("a blueprint lists the same topic and difficulty twice")
    rng = random.Random(seed)
    random_draw = rng.random
    picked: list[list[PoolItem]] = []
    pool_cells = prepared.cells
    for cell, key in zip(blueprint, keys, strict=True):
        candidates = pool_cells.get(key, ())
        if excluded:
            candidates = [p for p in candidates if p.version_id not in excluded]
        count, size = cell.count, len(candidates)
        if size < count:
            raise BlueprintShortfall(cell.topic_id, cell.difficulty, count, size)
        if count * 3 > size:
            picked.append(_sample(random_draw, candidates, count))
            continue
        # _sample's sparse draw, inline (it runs for every cell of every form)
        seen: set[int] = set()
        chosen: list[PoolItem] = []
        while len(chosen) < count:
            j = int(random_draw() * size)
            if j not in seen:
                seen.add(j)
                chosen.append(candidates[j])
        picked.append(chosen)
    if fairness is not None:
        _repair(prepared, blueprint, keys, picked, fairness, excluded)
    drawn: list[DrawnItem] = []
    append = drawn.append
    all_orders = prepared.orders
    for cell, items in zip(blueprint, picked, strict=True):
        points = cell.points
        if not shuffle_option_order:
            drawn.extend([_drawn(DrawnItem, (p.version_id, p.option_ids, points)) for p in items])
            continue
        for item in items:
            option_ids = item.option_ids
            if option_ids:
                orders = all_orders.get(item.version_id) or _orders(item)
                if orders:
                    option_ids = orders[int(random_draw() * len(orders))]
                else:
                    option_ids = shuffle_options(option_ids, item.pinned_ids, rng)
            append(_drawn(DrawnItem, (item.version_id, option_ids, points)))
    if shuffle_items:
        _shuffle(random_draw, drawn)
    return drawn


def _repair(
    prepared: PreparedPool,
    blueprint: Sequence[BlueprintCell],
    keys: Sequence[tuple[int, int]],
    picked: list[list[PoolItem]],
    fairness: Fairness,
    excluded: frozenset[int],
) -> None:
    """Swap items within cells, greedily and deterministically, towards the target."""
    expected = sum(
        expected_points(items, cell.points) for cell, items in zip(blueprint, picked, strict=True)
    )
    for _ in range(2 * sum(cell.count for cell in blueprint) + 1):
        if abs(expected - fairness.target) <= fairness.tolerance:
            return
        need = fairness.target - expected
        best: tuple[float, int, int, int, PoolItem, PoolItem] | None = None
        for index, (cell, key) in enumerate(zip(blueprint, keys, strict=True)):
            if cell.points <= 0 or not picked[index]:
                continue
            chosen = {item.version_id for item in picked[index]} | excluded
            rest = [p for p in prepared.by_facility.get(key, ()) if p.version_id not in chosen]
            if not rest:
                continue
            facilities = [p.facility or 0.0 for p in rest]
            for out in picked[index]:
                wanted = (out.facility or 0.0) + need / cell.points
                at = bisect.bisect_left(facilities, wanted)
                for k in (at - 1, at):
                    if 0 <= k < len(rest):
                        delta = cell.points * (facilities[k] - (out.facility or 0.0))
                        option = (abs(need - delta), index, out.version_id, rest[k].version_id)
                        if best is None or option < best[:4]:
                            best = (*option, out, rest[k])
        if best is None or best[0] >= abs(need) - 1e-12:
            break
        _, index, _, _, out, incoming = best
        cell = blueprint[index]
        picked[index][picked[index].index(out)] = incoming
        expected += cell.points * ((incoming.facility or 0.0) - (out.facility or 0.0))
    if abs(expected - fairness.target) > fairness.tolerance:
        raise FairnessUnreachable(expected, fairness.target, fairness.tolerance)
