#!/usr/bin/env python3
"""Benchmark scoring_10k_s: score 10,000 attempts × 120 items and compute item statistics, < 3 s.

What it measures (pure scoring, synthetic data, no database): 120 items of the four stored
types (single choice 60 %, true/false 15 %, multiple response 15 % under partial credit,
fill in the blank 10 % with Vietnamese accepted answers), points per difficulty group
(1.5 / 1.75 / 2.0), keys built once per item as a batch re-score does. The timed part is:
every response scored by its type's rule, every attempt totalled and decided by its pass
rule (scoring.score_part), then the item statistics of the 10,000 × 120 score matrix
(scoring.item_statistics: facility, SD, discrimination, efficiency, point-biserials,
alpha if deleted, test figures) and a distractor analysis of every choice item. Building the
synthetic responses is not timed. Prints one line:
    BENCH scoring_10k_s <seconds> 3 PASS|FAIL
"""

from __future__ import annotations

import math
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scoring import (  # noqa: E402
    AcceptedAnswer,
    BlankKey,
    ItemKey,
    OptionKey,
    PassRule,
    distractor_analysis,
    item_statistics,
    rank_by_total,
    score_attempts,
)

NAME = "scoring_10k_s"
BUDGET_S = 3.0
ATTEMPTS = 10_000
ITEMS = 120
POINTS = {1: 1.5, 2: 1.75, 3: 2.0}
OPTION_IDS = ("o1", "o2", "o3", "o4")
CAPITALS = ("Hà Nội", "Huế", "Đà Nẵng", "Cần Thơ")


def make_items(rng: random.Random) -> list[tuple[ItemKey, float]]:
    """Return (key, difficulty logit) per item."""
    items = []
    for index in range(ITEMS):
        difficulty_group = 1 + index * 3 // ITEMS
        points = POINTS[difficulty_group]
        draw = rng.random()
        if draw < 0.60:
            key = ItemKey(
                "single_choice",
                tuple(OptionKey(o, 1.0 if o == "o1" else 0.0) for o in OPTION_IDS),
                points=points,
            )
        elif draw < 0.75:
            key = ItemKey("true_false", (OptionKey("t", 1.0), OptionKey("f", 0.0)), points=points)
        elif draw < 0.90:
            key = ItemKey(
                "multiple_response",
                (OptionKey("o1", 0.5), OptionKey("o2", 0.5), OptionKey("o3", -0.5),
                 OptionKey("o4", 0.0)),
                points=points,
            )  # fmt: skip
        else:
            answer = rng.choice(CAPITALS)
            key = ItemKey(
                "fill_blank",
                blanks=(BlankKey((AcceptedAnswer(answer),), "ignore_accents"),),
                points=points,
            )
        items.append((key, difficulty_group - 2 + rng.gauss(0, 0.5)))
    return items


def respond(rng: random.Random, key: ItemKey, right: bool):
    """A plausible response: the key when right, else a wrong answer or a blank."""
    if rng.random() < 0.03:
        return None
    if key.item_type == "fill_blank":
        accepted = key.blanks[0].answers[0].text
        text = accepted.lower() if right else rng.choice([c for c in CAPITALS if c != accepted])
        return (text,)
    if key.item_type == "multiple_response":
        return frozenset({"o1", "o2"}) if right else frozenset(rng.sample(OPTION_IDS, 2))
    if key.item_type == "true_false":
        return frozenset({"t" if right else "f"})
    return frozenset({"o1"}) if right else frozenset({rng.choice(OPTION_IDS[1:])})


def make_responses(rng: random.Random, items) -> list[list]:
    """Responses as a batch adapter hands them over: one object per distinct answer to an item.

    The stored answers are display indexes; converting them to option ids through a cache
    keyed by the stored answer yields the same object for the same answer, as here.
    """
    canonical: list[dict] = [{} for _ in items]
    attempts = []
    for _ in range(ATTEMPTS):
        ability = rng.gauss(0, 1)
        row = []
        for seen, (key, difficulty) in zip(canonical, items, strict=True):
            right = rng.random() < 1 / (1 + math.exp(difficulty - ability))
            response = respond(rng, key, right)
            row.append(seen.setdefault(response, response))
        attempts.append(row)
    return attempts


def run(items, attempts) -> tuple[float, dict]:
    keys = [key for key, _difficulty in items]
    rule = PassRule("points", 50.0)
    started = time.perf_counter()
    batch = score_attempts(keys, attempts, rule, multi_policy="partial")
    passed = sum(result.passed for result in batch.results)
    scored = time.perf_counter()
    analysis = item_statistics(batch.earned, [key.points for key in keys])
    totals = batch.earned.sum(axis=1).tolist()
    ranked = rank_by_total(totals)  # one ranking serves every item's distractor analysis
    columns = list(zip(*attempts, strict=True))
    for key, column in zip(keys, columns, strict=True):
        if key.item_type in ("single_choice", "true_false"):
            # The option chosen, from the distinct responses (a blank or several: none).
            single = {r: next(iter(r)) if r and len(r) == 1 else None for r in set(column)}
            keyed = [o.id for o in key.options if o.fraction > 0]
            distractor_analysis(
                list(map(single.__getitem__, column)),
                totals,
                keyed,
                [o.id for o in key.options],
                ranked=ranked,
            )
    finished = time.perf_counter()
    return finished - started, {
        "scoring_s": scored - started,
        "statistics_s": finished - scored,
        "passed": passed,
        "alpha": analysis.exam.cronbach_alpha,
    }


def main() -> int:
    rng = random.Random(2026)
    items = make_items(rng)
    attempts = make_responses(rng, items)
    seconds, detail = run(items, attempts)
    print(
        f"# scoring {detail['scoring_s']:.3f} s + statistics {detail['statistics_s']:.3f} s; "
        f"{detail['passed']} of {ATTEMPTS} passed; alpha {detail['alpha']:.3f}",
        flush=True,
    )
    print(
        f"BENCH {NAME} {seconds:.3f} {BUDGET_S:g} {'PASS' if seconds < BUDGET_S else 'FAIL'}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
