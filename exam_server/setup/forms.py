"""Generate and store every candidate's forms before the room starts.

Each form is drawn by the pure builder from its recorded seed, so it can be re-checked later.
A form is accepted only if it keeps the part's rules: expected score within tolerance of the
target (when item facility is known), no item above the exposure limit, and never too alike
the forms of the seats around it. Rows are written in bulk (form_store): 10,000 forms of 120
items fit the time budget that way.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import math
import operator
import random
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from exam_server.models import (
    Candidate,
    Exam,
    ExamPart,
    Form,
    FormItem,
    Item,
    ItemVersion,
    Room,
    RoomSession,
    Topic,
)
from exam_server.setup.errors import ExamFrozen, SetupError
from exam_server.setup.form_builder import (
    BlueprintCell,
    BlueprintShortfall,
    DrawnItem,
    Fairness,
    FairnessUnreachable,
    PoolItem,
    PreparedPool,
    build_form,
    pool_digest,
    prepare_pool,
)
from exam_server.setup.form_store import FormStore
from exam_server.setup.form_store import write_form_items as write_form_items  # package loading
from exam_server.setup.seating import adjacent_seats, too_alike

FORM_KINDS = ("main", "spare")
# How many seeds to try for one form before reporting that the rules cannot all be kept.
MAX_TRIES = 400

SeedSource = Callable[[], int]


def random_seed() -> int:
    return secrets.randbits(63)


# --- the pool --------------------------------------------------------------------------------


def approved_pool(session: Session, subject_id: int, allowed_types: list[str]) -> dict:
    """Return the latest version of every approved item, grouped by (topic, difficulty)."""
    pool: dict[tuple[int, int], list[PoolItem]] = defaultdict(list)
    rows = _latest_approved(session, subject_id, ItemVersion.item_type, ItemVersion.content)
    for topic_id, difficulty, facility, version_id, item_type, content in rows:
        if allowed_types and item_type not in allowed_types:
            continue
        options = content.get("options", [])
        pool[(topic_id, difficulty)].append(
            PoolItem(
                version_id,
                tuple(o["id"] for o in options),
                frozenset(o["id"] for o in options if o.get("pinned")),
                facility,
            )
        )
    return pool


def approved_type_counts(session: Session, subject_id: int) -> dict[tuple[int, int], Counter]:
    """Count approved items (latest versions) per (topic, difficulty) and item type."""
    counts: dict[tuple[int, int], Counter] = defaultdict(Counter)
    for topic_id, difficulty, _f, _v, item_type in _latest_approved(
        session, subject_id, ItemVersion.item_type
    ):
        counts[(topic_id, difficulty)][item_type] += 1
    return counts


def _latest_approved(session: Session, subject_id: int, *columns):
    """(topic, difficulty, facility, version id, *columns) of approved items' latest versions."""
    latest = (
        select(ItemVersion.item_id, func.max(ItemVersion.version_no).label("version_no"))
        .join(Item, Item.id == ItemVersion.item_id)
        .where(Item.subject_id == subject_id, Item.status == "approved")
        .group_by(ItemVersion.item_id)
        .subquery()
    )
    return session.execute(
        select(Item.topic_id, Item.difficulty, Item.facility, ItemVersion.id, *columns)
        .join(latest, latest.c.item_id == Item.id)
        .join(
            ItemVersion,
            (ItemVersion.item_id == Item.id) & (ItemVersion.version_no == latest.c.version_no),
        )
    ).all()


def blueprint_cells(part: ExamPart) -> list[BlueprintCell]:
    return [
        BlueprintCell(int(c["topic_id"]), int(c["difficulty"]), int(c["count"]), float(c["points"]))
        for c in part.blueprint
        if int(c["count"]) > 0
    ]


def with_imputed_facility(
    pool: dict[tuple[int, int], list[PoolItem]], cells: Sequence[BlueprintCell]
) -> tuple[dict, bool]:
    """Fill unknown facilities (cell mean, else pool mean); say whether any was known."""
    used = [(c.topic_id, c.difficulty) for c in cells]
    known = [p.facility for key in used for p in pool.get(key, ()) if p.facility is not None]
    if not known:
        return pool, False
    overall = sum(known) / len(known)
    filled: dict[tuple[int, int], list[PoolItem]] = {}
    for key, items in pool.items():
        cell_known = [p.facility for p in items if p.facility is not None]
        mean = sum(cell_known) / len(cell_known) if cell_known else overall
        filled[key] = [
            p
            if p.facility is not None
            else PoolItem(p.version_id, p.option_ids, p.pinned_ids, mean)
            for p in items
        ]
    return filled, True


def fairness_for(part: ExamPart, pool: PreparedPool, cells: Sequence[BlueprintCell]) -> Fairness:
    """The part's target: the expected score of the average form drawn from this pool."""
    target = 0.0
    for cell in cells:
        items = pool.get((cell.topic_id, cell.difficulty))
        if items:
            target += cell.count * cell.points * sum(p.facility or 0.0 for p in items) / len(items)
    maximum = sum(cell.count * cell.points for cell in cells)
    return Fairness(target, part.fairness_tolerance * maximum)


@dataclass
class PartPlan:
    """What a part's forms are drawn from, prepared once."""

    part: ExamPart
    cells: list[BlueprintCell]
    pool: PreparedPool
    fairness: Fairness | None
    digest: str

    def build(self, seed: int, excluded: frozenset[int] = frozenset()) -> list[DrawnItem]:
        return build_form(
            self.pool,
            self.cells,
            seed,
            shuffle_items=self.part.shuffle_items,
            shuffle_option_order=self.part.shuffle_options,
            fairness=self.fairness,
            excluded=excluded,
        )


def plan_part(session: Session, part: ExamPart) -> PartPlan:
    cells = blueprint_cells(part)
    raw, has_facility = with_imputed_facility(
        approved_pool(session, part.subject_id, part.allowed_types), cells
    )
    pool = prepare_pool(raw)
    fairness = fairness_for(part, pool, cells) if has_facility else None
    return PartPlan(part, cells, pool, fairness, pool_digest(pool))


# --- messages --------------------------------------------------------------------------------


def topic_names(session: Session, topic_ids: Iterable[int]) -> dict[int, str]:
    ids = set(topic_ids)
    if not ids:
        return {}
    return dict(session.execute(select(Topic.id, Topic.name).where(Topic.id.in_(ids))).all())


def shortfall_error(session: Session, part: ExamPart, exc: BlueprintShortfall) -> SetupError:
    name = topic_names(session, [exc.topic_id]).get(exc.topic_id, str(exc.topic_id))
    return SetupError(
        _l(
            "Part “%(part)s”, topic “%(topic)s”, difficulty %(difficulty)d: the blueprint needs"
            " %(needed)d approved items, the bank has %(available)d (short by %(short)d).",
            part=part.title,
            topic=name,
            difficulty=exc.difficulty,
            needed=exc.needed,
            available=exc.available,
            short=exc.needed - exc.available,
        )
    )


def _exposure_feasible(session: Session, plan: PartPlan, total_forms: int) -> None:
    part = plan.part
    if part.max_exposure >= 1.0 or total_forms == 0:
        return
    cap = exposure_cap(part.max_exposure, total_forms)
    for cell in plan.cells:
        size = len(plan.pool.get((cell.topic_id, cell.difficulty)))
        if size and cell.count * total_forms > size * cap:
            name = topic_names(session, [cell.topic_id]).get(cell.topic_id, "")
            raise SetupError(
                _l(
                    "Part “%(part)s”, topic “%(topic)s”, difficulty %(difficulty)d: each form"
                    " draws %(count)d of %(size)d items, so no item can stay below the exposure"
                    " limit of %(limit)d%%. Add approved items or raise the limit.",
                    part=part.title,
                    topic=name,
                    difficulty=cell.difficulty,
                    count=cell.count,
                    size=size,
                    limit=round(part.max_exposure * 100),
                )
            )


def exposure_cap(max_exposure: float, total_forms: int) -> int:
    """How many forms one item may appear on."""
    return max(1, math.floor(max_exposure * total_forms + 1e-9))


def _unreachable(part: ExamPart, reason: str) -> SetupError:
    if reason == "fairness":
        return SetupError(
            _l(
                "Part “%(part)s”: no form keeps its expected score within %(tolerance)s%% of the"
                " target. Widen the tolerance or add approved items with statistics.",
                part=part.title,
                tolerance=round(part.fairness_tolerance * 100, 1),
            )
        )
    if reason == "exposure":
        return SetupError(
            _l(
                "Part “%(part)s”: the exposure limit of %(limit)d%% cannot be kept for every"
                " form. Add approved items or raise the limit.",
                part=part.title,
                limit=round(part.max_exposure * 100),
            )
        )
    return SetupError(
        _l(
            "Part “%(part)s”: neighbouring seats cannot all get different forms. Add approved"
            " items, turn on shuffling, enlarge the pool, or allow more overlap.",
            part=part.title,
        )
    )


# --- seating ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seat:
    room_session_id: int
    seat: int


def seat_map(session: Session, exam: Exam) -> tuple[dict[int, Seat], dict[int, int]]:
    """Return each seated candidate's seat and each room session's row length."""
    rows = session.execute(
        select(Candidate.id, Candidate.room_session_id, Candidate.seat, Room.seats_per_row)
        .join(RoomSession, RoomSession.id == Candidate.room_session_id)
        .join(Room, Room.id == RoomSession.room_id)
        .where(Candidate.exam_id == exam.id, Candidate.seat.is_not(None))
    ).all()
    seats = {cid: Seat(rsid, seat) for cid, rsid, seat, _w in rows}
    widths = {rsid: width for _cid, rsid, _seat, width in rows}
    return seats, widths


def neighbours_of(seats: dict[int, Seat], widths: dict[int, int]) -> dict[int, list[int]]:
    """Return, per seated candidate, the candidates in the adjacent seats of the same room."""
    by_place = {(s.room_session_id, s.seat): cid for cid, s in seats.items()}
    found: dict[int, list[int]] = {}
    for cid, s in seats.items():
        near = adjacent_seats(s.seat, widths.get(s.room_session_id, 1))
        found[cid] = sorted(
            by_place[(s.room_session_id, n)] for n in near if (s.room_session_id, n) in by_place
        )
    return found


# --- generation --------------------------------------------------------------------------------


@dataclass
class StoredForm:
    """A form in memory, as far as the neighbour and exposure rules need it."""

    version_ids: Sequence[int]
    pool_index: int | None = None


def generate_forms(
    session: Session,
    exam: Exam,
    now: dt.datetime,
    *,
    replace: bool = False,
    seed_source: SeedSource = random_seed,
) -> int:
    """Store a main and a spare form per candidate per part; return how many were made.

    Existing forms are kept unless `replace` is set (only while the exam is a draft).
    """
    if replace and exam.status != "draft":
        raise ExamFrozen(_l("The exam is published: its forms can no longer be replaced."))
    candidates = session.scalars(
        select(Candidate).where(Candidate.exam_id == exam.id).order_by(Candidate.id)
    ).all()
    seats, widths = seat_map(session, exam)
    neighbours = neighbours_of(seats, widths)
    # Seated candidates first, seat by seat, so each form is checked against those already set.
    ordered = sorted(
        candidates,
        key=lambda c: (
            (0, seats[c.id].room_session_id, seats[c.id].seat) if c.id in seats else (1, 0, c.id)
        ),
    )
    made = 0
    # A savepoint: if a part cannot be served, none of this call's forms stay behind (and
    # whatever the store took off form_items for a bulk load is back as it was).
    with session.begin_nested(), gc_paused(), FormStore(session, now) as store:
        for part in exam.parts:
            if replace:
                delete_part_forms(session, part.id)
            made += _generate_part(session, part, ordered, neighbours, store, seed_source)
    return made


@contextlib.contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while millions of short-lived, acyclic tuples pass.

    Reference counting still frees them; without the pause, full collections rescan the
    growing heap again and again and double the time of a large generation.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def delete_part_forms(session: Session, part_id: int) -> None:
    form_ids = select(Form.id).where(Form.part_id == part_id)
    session.execute(delete(FormItem).where(FormItem.form_id.in_(form_ids)))
    session.execute(delete(Form).where(Form.part_id == part_id))


def _existing(session: Session, part_id: int) -> dict[tuple[int, str], tuple]:
    """(candidate, kind) → (form id, seed, pool index, excluded ids) of the stored forms."""
    return {
        (cid, kind): (form_id, seed, pool_index, frozenset(excluded or ()))
        for form_id, cid, kind, seed, pool_index, excluded in session.execute(
            select(
                Form.id, Form.candidate_id, Form.kind, Form.seed, Form.pool_index, Form.excluded_ids
            ).where(Form.part_id == part_id)
        )
    }


def _load_sequences(session: Session, form_ids: Sequence[int]) -> dict[int, list[int]]:
    sequences: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(form_ids), 500):
        chunk = form_ids[start : start + 500]
        for form_id, version_id in session.execute(
            select(FormItem.form_id, FormItem.item_version_id)
            .where(FormItem.form_id.in_(chunk))
            .order_by(FormItem.form_id, FormItem.position)
        ):
            sequences[form_id].append(version_id)
    return sequences


def _generate_part(
    session: Session,
    part: ExamPart,
    ordered: Sequence[Candidate],
    neighbours: dict[int, list[int]],
    store: FormStore,
    seed_source: SeedSource,
) -> int:
    existing = _existing(session, part.id)
    wanted = [
        (candidate, kind)
        for candidate in ordered
        if part.id not in (candidate.exempt_part_ids or [])
        for kind in FORM_KINDS
        if (candidate.id, kind) not in existing
    ]
    if not wanted:
        return 0
    plan = plan_part(session, part)
    for cell in plan.cells:  # a clear message before any drawing
        size = len(plan.pool.get((cell.topic_id, cell.difficulty)))
        if size < cell.count:
            raise shortfall_error(
                session, part, BlueprintShortfall(cell.topic_id, cell.difficulty, cell.count, size)
            )
    if not plan.cells:
        raise SetupError(_l("Part “%(part)s” has an empty blueprint.", part=part.title))

    # Forms already stored that the new ones must be compared with (neighbours, own main).
    touching = {c.id for c, _k in wanted}
    touching |= {n for c, _k in wanted for n in neighbours.get(c.id, ())}
    relevant = {key: value for key, value in existing.items() if key[0] in touching}
    stored: dict[tuple[int, str], StoredForm] = {}
    sequences = _load_sequences(session, [v[0] for v in relevant.values()])
    for key, (form_id, _seed, pool_index, _excluded) in relevant.items():
        stored[key] = StoredForm(sequences.get(form_id, []), pool_index)

    if part.form_mode == "pool":
        chosen = iter(
            _choose_pool(session, part, plan, wanted, neighbours, stored, existing, seed_source)
        )
    else:
        chosen = _choose_unique(
            session, part, plan, wanted, neighbours, stored, existing, seed_source
        )
    # Stored as they are drawn: drawn items never pile up in memory.
    items_per_form = sum(cell.count for cell in plan.cells)
    return store.store(part.id, plan.digest, chosen, len(wanted), items_per_form)


@dataclass
class Chosen:
    candidate_id: int
    kind: str
    seed: int
    pool_index: int | None
    items: list[DrawnItem]
    excluded: frozenset[int] = frozenset()


def _conflicts(
    candidate_id: int,
    kind: str,
    form: StoredForm,
    neighbours: dict[int, list[int]],
    stored: dict[tuple[int, str], StoredForm],
    overlap_max: float,
) -> bool:
    """A new form may not be too alike its own other form or a neighbour's main form."""
    others = [stored.get((candidate_id, k)) for k in FORM_KINDS if k != kind]
    others += [stored.get((n, "main")) for n in neighbours.get(candidate_id, ())]
    if kind == "main":  # a neighbour's spare replaces their main after an incident
        others += [stored.get((n, "spare")) for n in neighbours.get(candidate_id, ())]
    return any(
        other is not None
        and too_alike(
            form.version_ids,
            other.version_ids,
            overlap_max,
            pool_a=form.pool_index,
            pool_b=other.pool_index,
        )
        for other in others
    )


def _choose_unique(
    session: Session,
    part: ExamPart,
    plan: PartPlan,
    wanted: Sequence[tuple[Candidate, str]],
    neighbours: dict[int, list[int]],
    stored: dict[tuple[int, str], StoredForm],
    existing: dict,
    seed_source: SeedSource,
) -> Iterator[Chosen]:
    """Yield each wanted form as it is accepted (a generator, so forms stream to storage)."""
    total = len(existing) + len(wanted)
    _exposure_feasible(session, plan, total)
    exposure = ExposureControl(part.max_exposure, total)
    if exposure.active and existing:
        exposure.add(
            session.scalars(
                select(FormItem.item_version_id)
                .join(Form, Form.id == FormItem.form_id)
                .where(Form.part_id == part.id)
            )
        )
    for candidate, kind in wanted:
        excluded = exposure.excluded()
        failure = "neighbours"
        for _ in range(MAX_TRIES):
            seed = seed_source()
            try:
                drawn = plan.build(seed, excluded)
            except FairnessUnreachable:
                failure = "fairness"
                continue
            except BlueprintShortfall as exc:
                # Only exposure control can empty a cell here: the pool was checked before.
                raise _unreachable(part, "exposure") from exc
            form = StoredForm(tuple(map(VERSION_OF, drawn)))
            if _conflicts(candidate.id, kind, form, neighbours, stored, part.neighbour_overlap_max):
                failure = "neighbours"
                continue
            break
        else:
            raise _unreachable(part, failure)
        exposure.add(form.version_ids)
        stored[(candidate.id, kind)] = form
        yield Chosen(candidate.id, kind, seed, None, drawn, excluded)


NOTHING: frozenset[int] = frozenset()
VERSION_OF = operator.itemgetter(0)  # a DrawnItem's version id, read in C


class ExposureControl:
    """Count how many forms use each item and hold back those that reached the limit."""

    def __init__(self, max_exposure: float, total_forms: int):
        self.active = max_exposure < 1.0
        self.cap = exposure_cap(max_exposure, total_forms)
        self.usage: Counter = Counter()
        self.full: set[int] = set()

    def add(self, version_ids: Iterable[int]) -> None:
        if not self.active:
            return
        for version_id in version_ids:
            self.usage[version_id] += 1
            if self.usage[version_id] >= self.cap:
                self.full.add(version_id)

    def excluded(self) -> frozenset[int]:
        return frozenset(self.full) if self.full else NOTHING


def _pool_forms(
    session: Session,
    part: ExamPart,
    plan: PartPlan,
    existing: dict,
    seed_source: SeedSource,
) -> dict[int, Chosen]:
    """Return the part's K parallel forms by index: the stored ones, or new ones."""
    stored_pool = {
        pool_index: (seed, excluded)
        for (_f, seed, pool_index, excluded) in existing.values()
        if pool_index is not None
    }
    if stored_pool:
        return {
            index: Chosen(0, "", seed, index, plan.build(seed, excluded), excluded)
            for index, (seed, excluded) in sorted(stored_pool.items())
        }
    size = max(2, part.pool_size)
    _exposure_feasible(session, plan, size)
    exposure = ExposureControl(part.max_exposure, size)
    forms: dict[int, Chosen] = {}
    for index in range(size):
        excluded = exposure.excluded()
        failure = "fairness"
        for _ in range(MAX_TRIES):
            seed = seed_source()
            try:
                drawn = plan.build(seed, excluded)
            except FairnessUnreachable:
                failure = "fairness"
                continue
            except BlueprintShortfall as exc:
                raise _unreachable(part, "exposure") from exc
            ids = [d.version_id for d in drawn]
            # Pool forms are pairwise distinct enough to seat side by side: only the same
            # index then separates neighbours, which a colouring of the seats can always avoid.
            if any(
                too_alike(ids, [d.version_id for d in other.items], part.neighbour_overlap_max)
                for other in forms.values()
            ):
                failure = "neighbours"
                continue
            break
        else:
            raise _unreachable(part, failure)
        exposure.add(ids)
        forms[index] = Chosen(0, "", seed, index, drawn, excluded)
    return forms


def _choose_pool(
    session: Session,
    part: ExamPart,
    plan: PartPlan,
    wanted: Sequence[tuple[Candidate, str]],
    neighbours: dict[int, list[int]],
    stored: dict[tuple[int, str], StoredForm],
    existing: dict,
    seed_source: SeedSource,
) -> list[Chosen]:
    pool_forms = _pool_forms(session, part, plan, existing, seed_source)
    rng = random.Random(seed_source())
    for _ in range(ASSIGNMENT_ROUNDS):
        attempt = dict(stored)
        chosen = _assign_pool(part, pool_forms, wanted, neighbours, attempt, rng)
        if chosen is not None:
            stored.update(attempt)
            return chosen
    raise _unreachable(part, "neighbours")


# Random greedy assignment is retried this often before a pool is called too small.
ASSIGNMENT_ROUNDS = 30


def _assign_pool(
    part: ExamPart,
    pool_forms: dict[int, Chosen],
    wanted: Sequence[tuple[Candidate, str]],
    neighbours: dict[int, list[int]],
    stored: dict[tuple[int, str], StoredForm],
    rng: random.Random,
) -> list[Chosen] | None:
    chosen: list[Chosen] = []
    # Every main form first, seat by seat, then the spares: a spare must differ from its own
    # main and from the neighbours' mains, which are then all known.
    for pass_kind in FORM_KINDS:
        for candidate, kind in wanted:
            if kind != pass_kind:
                continue
            options = list(pool_forms)
            rng.shuffle(options)
            for index in options:
                pooled = pool_forms[index]
                form = StoredForm([d.version_id for d in pooled.items], index)
                if not _conflicts(
                    candidate.id, kind, form, neighbours, stored, part.neighbour_overlap_max
                ):
                    break
            else:
                return None
            stored[(candidate.id, kind)] = form
            chosen.append(
                Chosen(candidate.id, kind, pooled.seed, index, pooled.items, pooled.excluded)
            )
    return chosen


# --- checking a stored form against its seed -----------------------------------------------


@dataclass(frozen=True)
class FormCheck:
    form_id: int
    matches: bool
    pool_changed: bool


def check_form(session: Session, form: Form, plan: PartPlan | None = None) -> FormCheck:
    """Rebuild a stored form from its seed and compare it, item by item and option by option."""
    part = session.get(ExamPart, form.part_id)
    plan = plan or plan_part(session, part)
    try:
        rebuilt = [
            (d.version_id, list(d.option_order), d.points)
            for d in plan.build(form.seed, frozenset(form.excluded_ids or ()))
        ]
    except (BlueprintShortfall, FairnessUnreachable):
        rebuilt = None
    stored = [
        (row.item_version_id, list(row.option_order), row.points)
        for row in session.scalars(
            select(FormItem).where(FormItem.form_id == form.id).order_by(FormItem.position)
        )
    ]
    return FormCheck(
        form.id,
        rebuilt == stored,
        form.pool_hash is not None and form.pool_hash != plan.digest,
    )
