"""Typed SQLAlchemy models; importing this package registers every table on Base.metadata."""

# Modules whose tables are imported for registration only (their classes are used by path).
from exam_server.models import council as _council  # noqa: E402,F401
from exam_server.models import proctor as _proctor  # noqa: E402,F401
from exam_server.models.accounts import STAFF_ROLES, LoginThrottle, User
from exam_server.models.attempts import Answer, AnswerEvent, Attempt, CandidateEntry, MediaPlay
from exam_server.models.audit import AuditEntry
from exam_server.models.bank import Item, ItemVersion, Subject, Topic
from exam_server.models.exams import Candidate, Exam, ExamPart, Room, RoomSession, Shift
from exam_server.models.forms import Form, FormItem

__all__ = [
    "STAFF_ROLES",
    "Answer",
    "AnswerEvent",
    "Attempt",
    "AuditEntry",
    "Candidate",
    "CandidateEntry",
    "Exam",
    "ExamPart",
    "Form",
    "FormItem",
    "Item",
    "ItemVersion",
    "LoginThrottle",
    "MediaPlay",
    "Room",
    "RoomSession",
    "Shift",
    "Subject",
    "Topic",
    "User",
]
