"""Rooms, shifts, seating, room staff and session codes."""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from exam_server import audit
from exam_server.models import Candidate, Exam, Form, FormItem, Room, RoomSession, Shift, User
from exam_server.models.exams import ROOM_STAFF_ROLES, RoomStaff
from exam_server.passwords import generate_code, hash_secret
from exam_server.setup.candidates import candidates_in_order, room_session_for
from exam_server.setup.errors import NotFound, SetupError
from exam_server.setup.seating import adjacent_seats, too_alike
from exam_server.text import nfc

# Which account roles may hold which room duty.
DUTY_ROLES = {
    "head_proctor": ("head_proctor", "admin"),
    "proctor": ("head_proctor", "proctor"),
    "technician": ("technician",),
}
# Circular 22: at least two proctors (the head proctor counts) and one technician per room.
MIN_PROCTORS = 2
MIN_TECHNICIANS = 1


def _audit(session, actor_id, now, action, target_type, target_id, **details):
    audit.record(
        session,
        at=now,
        actor_kind="user" if actor_id else "system",
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        details=details,
    )


# --- rooms ----------------------------------------------------------------------------------


def _clean_ips(addresses: Sequence[str]) -> list[str]:
    clean = []
    for address in addresses:
        address = address.strip()
        if not address:
            continue
        try:
            clean.append(str(ipaddress.ip_address(address)))
        except ValueError as exc:
            raise SetupError(_l("“%(address)s” is not an IP address.", address=address)) from exc
    if len(set(clean)) != len(clean):
        raise SetupError(_l("An IP address is listed twice."))
    return clean


def save_room(
    session: Session,
    *,
    code: str,
    name: str,
    capacity: int,
    seats_per_row: int,
    spare_terminals: int = 0,
    terminal_ips: Sequence[str] = (),
    room: Room | None = None,
    now: dt.datetime,
    actor_id: int | None,
) -> Room:
    """Create a room, or change one: seats, the row length, spare terminals, terminal IPs."""
    code = nfc(code.strip()).upper()
    if not code or not name.strip():
        raise SetupError(_l("A room needs a code and a name."))
    if not 1 <= capacity <= 500 or not 1 <= seats_per_row <= 50 or not 0 <= spare_terminals <= 50:
        raise SetupError(_l("Seats run from 1 to 500, rows from 1 to 50, spares from 0 to 50."))
    ips = _clean_ips(terminal_ips)
    if len(ips) > capacity + spare_terminals:
        raise SetupError(_l("More IP addresses than terminals (seats and spares)."))
    other = session.scalar(select(Room).where(Room.code == code))
    if other is not None and other is not room:
        raise SetupError(_l("A room with code %(code)s already exists.", code=code))
    if room is not None:
        highest = session.scalar(
            select(func.max(Candidate.seat))
            .join(RoomSession, RoomSession.id == Candidate.room_session_id)
            .where(RoomSession.room_id == room.id)
        )
        if highest and highest > capacity:
            raise SetupError(
                _l("Seat %(seat)d is taken: the room needs that many seats.", seat=highest)
            )
    room = room or Room()
    room.code, room.name, room.capacity = code, nfc(name.strip()), capacity
    room.seats_per_row, room.spare_terminals, room.terminal_ips = (
        seats_per_row,
        spare_terminals,
        ips,
    )
    session.add(room)
    session.flush()
    _audit(session, actor_id, now, "room_saved", "room", room.id, code=code)
    return room


def terminal_ip(room: Room, seat: int) -> str | None:
    """The IP address bound to a seat, when the room lists them."""
    ips = room.terminal_ips or []
    return ips[seat - 1] if 0 < seat <= len(ips) else None


# --- shifts ---------------------------------------------------------------------------------


def save_shift(
    session: Session,
    exam: Exam,
    *,
    name: str,
    starts_at: dt.datetime,
    shift: Shift | None = None,
    now: dt.datetime,
    actor_id: int | None,
) -> Shift:
    """Create or change a shift with its programmed start (the scheduled clock starts there)."""
    name = nfc(name.strip())
    if not name:
        raise SetupError(_l("A shift needs a name."))
    if starts_at.tzinfo is None:
        raise SetupError(_l("The start time needs a time zone."))
    clash = session.scalar(select(Shift).where(Shift.exam_id == exam.id, Shift.name == name))
    if clash is not None and clash is not shift:
        raise SetupError(_l("The exam already has a shift “%(name)s”.", name=name))
    if shift is not None and exam.status != "draft" and shift.starts_at != starts_at:
        started = session.scalar(
            select(RoomSession.id).where(
                RoomSession.shift_id == shift.id, RoomSession.state != "waiting"
            )
        )
        if started:
            raise SetupError(_l("A room of this shift has started: its start time is fixed."))
    shift = shift or Shift(exam_id=exam.id)
    shift.name, shift.starts_at = name, starts_at
    session.add(shift)
    session.flush()
    _audit(session, actor_id, now, "shift_saved", "exam", exam.id, shift=name)
    return shift


# --- seating ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    candidates: int
    room_sessions: int


def auto_assign(
    session: Session,
    exam: Exam,
    *,
    shifts: Sequence[Shift],
    rooms: Sequence[Room],
    now: dt.datetime,
    actor_id: int | None,
    reseat_all: bool = False,
) -> Placement:
    """Seat candidates shift by shift, room by room, seat by seat, in Vietnamese name order.

    Candidates already placed keep their room and seat unless `reseat_all`; those placed in a
    room without a seat get the room's first free seat.
    """
    if not shifts or not rooms:
        raise SetupError(_l("Choose at least one shift and one room."))
    ordered = candidates_in_order(session, exam.id)
    if reseat_all:
        if exam.status != "draft":
            raise SetupError(_l("The exam is published: move candidates one by one instead."))
        for candidate in ordered:
            candidate.room_session_id, candidate.seat = None, None
        session.flush()
    slots = []  # (room session, seat) in filling order, free ones only
    taken = _taken_seats(session, exam)
    for shift in sorted(shifts, key=lambda s: (s.starts_at, s.id)):
        for room in rooms:
            room_session = room_session_for(session, shift, room)
            slots.extend(
                (room_session, seat)
                for seat in range(1, room.capacity + 1)
                if (room_session.id, seat) not in taken
            )
    by_session = {rs.id: rs for rs, _ in slots}
    placed = 0
    free = iter(slots)
    for candidate in ordered:
        if candidate.room_session_id and candidate.seat:
            continue
        if candidate.room_session_id:  # placed by the import: find a seat in that room
            seat = _first_free_seat(session, candidate.room_session_id, taken)
            if seat is not None:
                candidate.seat = seat
                taken.add((candidate.room_session_id, seat))
                placed += 1
                continue
        slot = next(free, None)
        while slot is not None and (slot[0].id, slot[1]) in taken:
            slot = next(free, None)
        if slot is None:
            missing = sum(1 for c in ordered if not (c.room_session_id and c.seat))
            raise SetupError(
                _l("%(count)d candidates have no seat: add rooms or shifts.", count=missing)
            )
        candidate.room_session_id, candidate.seat = slot[0].id, slot[1]
        taken.add((slot[0].id, slot[1]))
        placed += 1
    session.flush()
    _audit(session, actor_id, now, "candidates_seated", "exam", exam.id, count=placed)
    return Placement(placed, len(by_session))


def _taken_seats(session: Session, exam: Exam) -> set[tuple[int, int]]:
    return {
        (rsid, seat)
        for rsid, seat in session.execute(
            select(Candidate.room_session_id, Candidate.seat).where(
                Candidate.exam_id == exam.id,
                Candidate.room_session_id.is_not(None),
                Candidate.seat.is_not(None),
            )
        )
    }


def _first_free_seat(session: Session, room_session_id: int, taken: set) -> int | None:
    room_session = session.get(RoomSession, room_session_id)
    for seat in range(1, room_session.room.capacity + 1):
        if (room_session_id, seat) not in taken:
            return seat
    return None


def move_candidate(
    session: Session,
    candidate: Candidate,
    room_session: RoomSession,
    seat: int,
    *,
    now: dt.datetime,
    actor_id: int | None,
) -> None:
    """Move one candidate to a seat; forms must still differ from the new neighbours'.

    In a draft the candidate's forms are dropped and drawn again for the new seat; once the
    exam is published they are frozen, so a seat whose neighbours hold alike forms is refused.
    """
    exam = session.get(Exam, candidate.exam_id)
    if room_session.shift.exam_id != exam.id:
        raise NotFound(_l("That room session belongs to another exam."))
    if not 1 <= seat <= room_session.room.capacity:
        raise SetupError(
            _l("The room has seats 1 to %(capacity)d.", capacity=room_session.room.capacity)
        )
    occupant = session.scalar(
        select(Candidate).where(
            Candidate.room_session_id == room_session.id,
            Candidate.seat == seat,
            Candidate.id != candidate.id,
        )
    )
    if occupant is not None:
        raise SetupError(
            _l("Seat %(seat)d is taken by %(sbd)s.", seat=seat, sbd=occupant.registration_number)
        )
    if exam.status == "draft":
        form_ids = select(Form.id).where(Form.candidate_id == candidate.id)
        session.execute(delete(FormItem).where(FormItem.form_id.in_(form_ids)))
        session.execute(delete(Form).where(Form.candidate_id == candidate.id))
    else:
        clash = _alike_neighbour(session, exam, candidate, room_session, seat)
        if clash is not None:
            raise SetupError(
                _l(
                    "%(sbd)s, in the next seat, has a form too alike: choose another seat.",
                    sbd=clash,
                )
            )
    before = (candidate.room_session_id, candidate.seat)
    candidate.room_session_id, candidate.seat = room_session.id, seat
    session.flush()
    _audit(
        session,
        actor_id,
        now,
        "candidate_moved",
        "candidate",
        candidate.id,
        before=list(before),
        after=[room_session.id, seat],
    )


def _alike_neighbour(
    session: Session, exam: Exam, candidate: Candidate, room_session: RoomSession, seat: int
) -> str | None:
    near = adjacent_seats(seat, room_session.room.seats_per_row)
    neighbours = session.scalars(
        select(Candidate).where(
            Candidate.room_session_id == room_session.id,
            Candidate.seat.in_(near),
            Candidate.id != candidate.id,
        )
    ).all()
    if not neighbours:
        return None
    sequences = _sequences(session, [candidate.id, *[n.id for n in neighbours]])
    for part in exam.parts:
        mine = [sequences.get((candidate.id, part.id, kind)) for kind in ("main", "spare")]
        for neighbour in neighbours:
            theirs = sequences.get((neighbour.id, part.id, "main"))
            for form in mine:
                if (
                    form
                    and theirs
                    and too_alike(
                        form[0],
                        theirs[0],
                        part.neighbour_overlap_max,
                        pool_a=form[1],
                        pool_b=theirs[1],
                    )
                ):
                    return neighbour.registration_number
    return None


def _sequences(session: Session, candidate_ids: list[int]) -> dict[tuple, tuple[list[int], Any]]:
    rows = session.execute(
        select(
            Form.candidate_id, Form.part_id, Form.kind, Form.pool_index, FormItem.item_version_id
        )
        .join(FormItem, FormItem.form_id == Form.id)
        .where(Form.candidate_id.in_(candidate_ids))
        .order_by(Form.id, FormItem.position)
    )
    found: dict[tuple, tuple[list[int], Any]] = {}
    for cid, part_id, kind, pool_index, version_id in rows:
        found.setdefault((cid, part_id, kind), ([], pool_index))[0].append(version_id)
    return found


def room_sessions_of(session: Session, exam_id: int) -> list[RoomSession]:
    return list(
        session.scalars(
            select(RoomSession)
            .join(Shift, Shift.id == RoomSession.shift_id)
            .join(Room, Room.id == RoomSession.room_id)
            .where(Shift.exam_id == exam_id)
            .order_by(Shift.starts_at, Shift.id, Room.code)
        )
    )


# --- room staff ---------------------------------------------------------------------------------


def assign_staff(
    session: Session,
    room_session: RoomSession,
    user: User,
    duty: str,
    *,
    now: dt.datetime,
    actor_id: int | None,
) -> RoomStaff:
    """Put a staff member on duty in one room for one shift."""
    if duty not in ROOM_STAFF_ROLES:
        raise SetupError(_l("Unknown room duty."))
    if user.role not in DUTY_ROLES[duty] or not user.active:
        raise SetupError(_l("%(name)s's account cannot take this duty.", name=user.full_name))
    busy = session.scalar(
        select(RoomStaff)
        .join(RoomSession, RoomSession.id == RoomStaff.room_session_id)
        .where(RoomStaff.user_id == user.id, RoomSession.shift_id == room_session.shift_id)
    )
    if busy is not None:
        raise SetupError(_l("%(name)s is already on duty in this shift.", name=user.full_name))
    if duty == "head_proctor" and session.scalar(
        select(RoomStaff.id).where(
            RoomStaff.room_session_id == room_session.id, RoomStaff.role == "head_proctor"
        )
    ):
        raise SetupError(_l("The room already has a head proctor."))
    assignment = RoomStaff(room_session_id=room_session.id, user_id=user.id, role=duty)
    session.add(assignment)
    session.flush()
    _audit(
        session,
        actor_id,
        now,
        "staff_assigned",
        "room_session",
        room_session.id,
        user=user.id,
        duty=duty,
    )
    return assignment


def remove_staff(
    session: Session, assignment: RoomStaff, *, now: dt.datetime, actor_id: int | None
) -> None:
    _audit(
        session,
        actor_id,
        now,
        "staff_removed",
        "room_session",
        assignment.room_session_id,
        user=assignment.user_id,
        duty=assignment.role,
    )
    session.delete(assignment)
    session.flush()


def staff_of(session: Session, room_session_id: int) -> list[tuple[RoomStaff, User]]:
    return [
        tuple(row)
        for row in session.execute(
            select(RoomStaff, User)
            .join(User, User.id == RoomStaff.user_id)
            .where(RoomStaff.room_session_id == room_session_id)
            .order_by(RoomStaff.role, User.full_name)
        )
    ]


def staffing_gaps(session: Session, exam: Exam) -> list[Any]:
    """Say which rooms lack a head proctor, a second proctor or a technician."""
    gaps = []
    for room_session in room_sessions_of(session, exam.id):
        duties = [a.role for a, _u in staff_of(session, room_session.id)]
        where = {"room": room_session.room.name, "shift": room_session.shift.name}
        if "head_proctor" not in duties:
            gaps.append(_l("%(room)s, %(shift)s: no head proctor.", **where))
        proctors = sum(1 for d in duties if d in ("head_proctor", "proctor"))
        if proctors < MIN_PROCTORS:
            gaps.append(
                _l(
                    "%(room)s, %(shift)s: %(count)d of %(needed)d proctors.",
                    count=proctors,
                    needed=MIN_PROCTORS,
                    **where,
                )
            )
        technicians = sum(1 for d in duties if d == "technician")
        if technicians < MIN_TECHNICIANS:
            gaps.append(_l("%(room)s, %(shift)s: no technician.", **where))
    return gaps


# --- session codes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedSessionCode:
    shift: Shift
    code: str


def issue_session_codes(
    session: Session,
    exam: Exam,
    *,
    rounds: int,
    now: dt.datetime,
    actor_id: int | None,
    shifts: Sequence[Shift] | None = None,
) -> list[IssuedSessionCode]:
    """Give each shift a new random session code, kept only as a bcrypt hash; return the codes.

    Print them at once for the sealed envelopes: they are never shown again, and a new code
    replaces the old one.
    """
    targets = (
        list(shifts)
        if shifts is not None
        else list(
            session.scalars(select(Shift).where(Shift.exam_id == exam.id).order_by(Shift.starts_at))
        )
    )
    if not targets:
        raise SetupError(_l("The exam has no shift yet."))
    for shift in targets:
        if shift.exam_id != exam.id:
            raise NotFound(_l("That shift belongs to another exam."))
        started = session.scalar(
            select(RoomSession.id).where(
                RoomSession.shift_id == shift.id, RoomSession.state != "waiting"
            )
        )
        if started:
            raise SetupError(
                _l("A room of shift “%(name)s” has started: its code is in use.", name=shift.name)
            )
    issued = []
    for shift in targets:
        code = generate_code()
        shift.session_code_hash = hash_secret(code, rounds)
        shift.session_code_issued_at = now
        issued.append(IssuedSessionCode(shift, code))
    _audit(
        session,
        actor_id,
        now,
        "session_codes_issued",
        "exam",
        exam.id,
        shifts=[s.id for s in targets],
    )
    return issued
