"""Question bank pages: list, author, preview, review, import, export, print, subjects, media.

Only admins, examiners and reviewers reach the bank; examiners and reviewers see only their
assigned subjects. Every page that shows bank content writes an access-log row.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import random
import re
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from exam_server.auth import now, staff_required
from exam_server.db import get_session
from exam_server.models import Item, Subject, Topic, User
from exam_server.models.bank import BankAccess, MediaFile
from exam_server.setup.form_builder import shuffle_options
from exam_server.text import sanitize_html
from question_bank import labels
from question_bank import media as media_store
from question_bank.access_log import log_access
from question_bank.errors import BankError, InvalidItem, NotAllowed, NotFound
from question_bank.exporting import EXPORT_FORMATS, export_subject
from question_bank.formats import TEMPLATE_DOC, ExportError, template_csv, template_xlsx
from question_bank.forms import (
    FORMAT_LABELS,
    AssignForm,
    BulkForm,
    ConfirmImportForm,
    ExportForm,
    FilterForm,
    ImportForm,
    ItemForm,
    SubjectEditForm,
    SubjectForm,
    TopicForm,
    TransitionForm,
    choices,
    rich_text,
)
from question_bank.importing import import_file
from question_bank.item_types import REGISTRY, type_label
from question_bank.permissions import (
    BANK_ROLES,
    can_see_subject,
    load_item,
    require_subject,
    visible_subject_ids,
)
from question_bank.review import ACTIONS, available_actions, bulk_transition, transition
from question_bank.review import transitions_of as item_transitions
from question_bank.services import (
    ItemDraft,
    ItemFilter,
    create_item,
    edit_item,
    item_query,
    review_queue,
    search_items,
)
from question_bank.subjects import (
    assign,
    assignees,
    create_subject,
    create_topic,
    difficulty_labels,
    parse_tags,
    topic_paths,
    topic_tree,
    unassign,
    update_subject,
)
from question_bank.versions import history, latest_version

bp = Blueprint(
    "bank",
    __name__,
    url_prefix="/bank",
    template_folder="templates",
    static_folder="static",
)

_IMG_TAG = re.compile(r"<img\b[^>]*>")
_ANY_TAG = re.compile(r"<[^>]+>")
_SHA256 = re.compile(r"[0-9a-f]{64}")
PER_PAGE = 50
PRINT_LIMIT = 500
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


@bp.app_template_global()
def bank_status_label(code: str) -> str:
    return labels.status_label(code)


@bp.app_template_global()
def bank_type_label(code: str) -> str:
    return type_label(code)


@bp.app_template_global()
def bank_kind_label(code: str) -> str:
    return labels.kind_label(code)


@bp.app_template_global()
def bank_render(problem) -> str:
    """Render an import error or an item issue in the page's language."""
    return problem.render(_)


@bp.app_template_global()
def bank_match_label(code: str) -> str:
    return str(labels.MATCH.get(code, code))


@bp.app_template_global()
def bank_level(levels: list[str], number: int) -> str:
    """Return "2 · Medium" for a difficulty number on a subject's scale."""
    if 1 <= number <= len(levels):
        return f"{number} · {levels[number - 1]}"
    return str(number)


@bp.app_template_filter("bank_time")
def bank_time(value) -> str:
    return format_datetime(value, "dd/MM/yyyy HH:mm") if value else ""


@bp.app_template_filter("bank_html")
def bank_html(fragment: str) -> str:
    """Sanitise stored rich text once more at output (defence in depth), for |safe."""
    return sanitize_html(fragment or "")


@bp.app_template_filter("bank_plain")
def bank_plain(fragment: str, limit: int = 140) -> str:
    """Return a one-line plain excerpt of stored rich text (images shown as [img])."""
    text = _IMG_TAG.sub(" [img] ", fragment or "")
    text = html.unescape(_ANY_TAG.sub(" ", text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _user() -> User:
    return current_user._get_current_object()


def _db():
    return get_session()


def _subjects(db, user) -> list[Subject]:
    visible = visible_subject_ids(db, user)
    query = select(Subject).order_by(Subject.code)
    if visible is not None:
        query = query.where(Subject.id.in_(visible or {-1}))
    return list(db.scalars(query))


def _subject_or_404(db, user, subject_id: int) -> Subject:
    subject = db.get(Subject, subject_id)
    if subject is None or not can_see_subject(db, user, subject.id):
        abort(404)
    return subject


def _item_or_404(db, user, item_id: int) -> Item:
    try:
        return load_item(db, user, item_id)
    except NotFound:
        abort(404)


def _log(db, action: str, item_ids=(), subject_id=None, **details) -> None:
    log_access(
        db,
        user_id=current_user.id,
        action=action,
        now=now(),
        item_ids=item_ids,
        subject_id=subject_id,
        details={"path": request.full_path.rstrip("?"), **details},
        remote_addr=request.remote_addr,
    )


@bp.errorhandler(NotAllowed)
def _not_allowed(error: NotAllowed):
    return render_template("bank/message.html", message=error.message), 403


@bp.errorhandler(NotFound)
def _not_found(error: NotFound):
    return render_template("bank/message.html", message=error.message), 404


# --- list, bulk, review queue, print ---------------------------------------------------------


def _filter_from_args(db, user) -> tuple[FilterForm, ItemFilter, Subject | None]:
    form = FilterForm(request.args)
    subjects = _subjects(db, user)
    subject = None
    subject_arg = request.args.get("subject", "")
    if subject_arg.isdigit():
        subject = next((s for s in subjects if s.id == int(subject_arg)), None)
    topics = topic_tree(db, subject.id) if subject else []
    levels = difficulty_labels(subject) if subject else [str(x) for x in labels.DEFAULT_DIFFICULTY]
    form.fill_choices(subjects, topics, levels)
    form.validate()
    flt = ItemFilter(
        subject_id=subject.id if subject else None,
        topic_id=_int(form.topic.data) if subject else None,
        difficulty=_int(form.difficulty.data),
        item_type=form.type.data if form.type.data in REGISTRY else None,
        status=form.status.data or None,
        tag=form.tag.data or None,
        text=form.q.data or None,
    )
    return form, flt, subject


def _int(value: Any) -> int | None:
    return int(value) if value not in (None, "") and str(value).isdigit() else None


def _topic_names(db, items) -> dict[int, str]:
    names: dict[int, str] = {}
    for subject_id in {item.subject_id for item in items}:
        names.update(topic_paths(db, subject_id))
    return names


def _load_tags(db, item_ids: list[int]) -> None:
    # One query for the page's tags instead of one per row.
    if item_ids:
        db.scalars(select(Item).where(Item.id.in_(item_ids)).options(selectinload(Item.tags))).all()


@bp.get("/")
@staff_required(*BANK_ROLES)
def index():
    db = _db()
    user = _user()
    form, flt, subject = _filter_from_args(db, user)
    try:
        page = search_items(
            db,
            user,
            flt,
            page=_int(request.args.get("page")) or 1,
            per_page=PER_PAGE,
            order=request.args.get("sort") or "newest",
        )
    except NotFound:
        abort(404)
    rows = page.rows
    _load_tags(db, [row.item.id for row in rows])
    _log(db, "list", [row.item.id for row in rows], flt.subject_id)
    db.commit()
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template(
        "bank/index.html",
        form=form,
        page=page,
        rows=rows,
        topics=_topic_names(db, [row.item for row in rows]),
        subjects={s.id: s for s in _subjects(db, user)},
        levels={s.id: difficulty_labels(s) for s in _subjects(db, user)},
        bulk=BulkForm(next=request.full_path),
        args=args,
        subject=subject,
    )


@bp.post("/bulk")
@staff_required(*BANK_ROLES)
def bulk():
    db = _db()
    form = BulkForm()
    target = _safe_next(form.next.data)
    if not form.validate_on_submit() or not form.item_ids.data:
        flash(_("Tick at least one question, then choose a status change."), "error")
        return redirect(target)
    result = bulk_transition(
        db,
        form.item_ids.data,
        form.action.data,
        actor=_user(),
        now=now(),
        comment=form.comment.data,
    )
    db.commit()
    if result.done:
        flash(
            _(
                "%(action)s: done for %(n)d questions.",
                action=ACTIONS[form.action.data].label,
                n=len(result.done),
            ),
            "ok",
        )
    for item_id, reason in result.refused:
        flash(_("Question #%(id)d not changed: %(reason)s", id=item_id, reason=reason), "warn")
    return redirect(target)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/bank") and not target.startswith("//"):
        return target
    return url_for("bank.index")


@bp.get("/review")
@staff_required(*BANK_ROLES)
def review():
    db = _db()
    user = _user()
    rows = review_queue(db, user)
    _log(db, "list", [row.item.id for row in rows], None, page="review")
    db.commit()
    return render_template(
        "bank/review.html",
        rows=rows,
        topics=_topic_names(db, [row.item for row in rows]),
        bulk=BulkForm(next=url_for("bank.review")),
        user=user,
    )


@bp.get("/print")
@staff_required(*BANK_ROLES)
def print_items():
    db = _db()
    user = _user()
    _form, flt, subject = _filter_from_args(db, user)
    query = item_query(db, user, flt).order_by(Item.id).limit(PRINT_LIMIT)
    rows = db.execute(query).all()
    _load_tags(db, [item.id for item, _v in rows])
    _log(db, "print", [item.id for item, _v in rows], flt.subject_id, count=len(rows))
    db.commit()
    return render_template(
        "bank/print.html",
        rows=rows,
        topics=_topic_names(db, [item for item, _v in rows]),
        subject=subject,
        limit=PRINT_LIMIT,
        printed_at=now(),
        user=user,
    )


# --- one item ---------------------------------------------------------------------------------


@bp.get("/items/<int:item_id>")
@staff_required(*BANK_ROLES)
def item_detail(item_id: int):
    db = _db()
    user = _user()
    item = _item_or_404(db, user, item_id)
    version = latest_version(db, item.id)
    subject = db.get(Subject, item.subject_id)
    _log(db, "view", [item.id], item.subject_id, version=version.version_no)
    db.commit()
    return render_template(
        "bank/item_detail.html",
        item=item,
        version=version,
        subject=subject,
        topic=topic_paths(db, subject.id).get(item.topic_id),
        levels=difficulty_labels(subject),
        steps=item_transitions(db, item),
        users={u.id: u for u in db.scalars(select(User))},
        actions=available_actions(db, item, user),
        form=TransitionForm(),
        media=_media_rows(db, version.content),
        issues=[i for i in REGISTRY[version.item_type].validate(version.stem, version.content)],
    )


def _media_rows(db, content) -> list[dict]:
    rows = []
    for entry in content.get("media", []):
        stored = db.get(MediaFile, entry.get("sha256", ""))
        rows.append(
            {
                "url": media_store.media_url(entry["sha256"]),
                "name": entry.get("name") or entry["sha256"][:12],
                "type": stored.content_type if stored else "",
                "sha256": entry["sha256"],
            }
        )
    return rows


@bp.post("/items/<int:item_id>/transition")
@staff_required(*BANK_ROLES)
def item_transition(item_id: int):
    db = _db()
    user = _user()
    item = _item_or_404(db, user, item_id)
    form = TransitionForm()
    if not form.validate_on_submit() or form.action.data not in ACTIONS:
        abort(400)
    try:
        transition(db, item, form.action.data, actor=user, now=now(), comment=form.comment.data)
    except BankError as error:
        flash(str(error.message), "error")
        return redirect(url_for("bank.item_detail", item_id=item.id))
    db.commit()
    flash(
        _(
            "Question #%(id)d is now: %(status)s.",
            id=item.id,
            status=labels.status_label(item.status),
        ),
        "ok",
    )
    return redirect(url_for("bank.item_detail", item_id=item.id))


@bp.get("/items/<int:item_id>/preview")
@staff_required(*BANK_ROLES)
def item_preview(item_id: int):
    db = _db()
    user = _user()
    item = _item_or_404(db, user, item_id)
    version = latest_version(db, item.id)
    options = version.content.get("options", [])
    order = [o["id"] for o in options]
    shuffled = request.args.get("shuffle") == "1"
    if shuffled:
        pinned = frozenset(o["id"] for o in options if o.get("pinned"))
        order = list(shuffle_options(order, pinned, random.Random()))
    by_id = {o["id"]: o for o in options}
    _log(db, "preview", [item.id], item.subject_id, version=version.version_no)
    db.commit()
    return render_template(
        "bank/preview.html",
        item=item,
        version=version,
        options=[by_id[option_id] for option_id in order],
        letters="ABCDEFGH",
        blanks=len(version.content.get("blanks", [])),
        media=_media_rows(db, version.content),
        shuffled=shuffled,
    )


@bp.get("/items/<int:item_id>/history")
@staff_required(*BANK_ROLES)
def item_history(item_id: int):
    db = _db()
    user = _user()
    item = _item_or_404(db, user, item_id)
    entries = history(db, item, _)
    _log(db, "history", [item.id], item.subject_id)
    db.commit()
    return render_template(
        "bank/history.html",
        item=item,
        entries=entries,
        steps=item_transitions(db, item),
        users={u.id: u for u in db.scalars(select(User))},
    )


# --- create and edit --------------------------------------------------------------------------


def _prepare_item_form(db, user, form: ItemForm, subject: Subject | None) -> Subject:
    subjects = _subjects(db, user)
    if not subjects:
        raise NotFound(_("You are not assigned to any subject yet; ask an administrator."))
    if subject is None:
        chosen = form.subject.data if isinstance(form.subject.data, int) else None
        subject = next((s for s in subjects if s.id == chosen), subjects[0])
    form.fill_choices(subjects, topic_tree(db, subject.id), difficulty_labels(subject))
    return subject


def _draft_from_form(db, user, form: ItemForm, existing_media=()) -> ItemDraft:
    stem = rich_text(form.stem.data or "")
    content = form.to_content()
    removed = set(form.remove_media.data or [])
    kept = [entry for entry in existing_media if entry["sha256"] not in removed]
    uploads = [f for f in (form.media.data or []) if getattr(f, "filename", "")]
    for upload in uploads:
        data = upload.read()
        problem = media_store.check(upload.filename, data)
        if problem:
            form.media.errors = [*form.media.errors, _(problem.message_id) % problem.params]
            continue
        stored = media_store.store(db, data, name=upload.filename, actor_id=user.id, now=now())
        url = media_store.media_url(stored.sha256)
        referenced = f'src="{upload.filename}"' in stem
        if referenced:
            stem = stem.replace(f'src="{upload.filename}"', f'src="{url}"')
        elif stored.content_type.startswith("image/"):
            stem += f'<p><img src="{url}" alt="{_escape(upload.filename)}"></p>'
        elif stored.sha256 not in {entry["sha256"] for entry in kept}:
            kept.append(
                {
                    "sha256": stored.sha256,
                    "name": upload.filename,
                    "content_type": stored.content_type,
                }
            )
    db.flush()
    if kept:
        content["media"] = kept
    return ItemDraft(
        item_type=form.item_type.data,
        stem=stem,
        content=content,
        topic_id=form.topic.data,
        difficulty=form.difficulty.data,
        tags=parse_tags(form.tags.data or ""),
        source=form.source.data or None,
        note=form.note.data or None,
    )


def _escape(text: str) -> str:
    return html.escape(text, quote=True)


def _issue_messages(issues) -> list[str]:
    return [(f"{issue.field}: " if issue.field else "") + issue.render(_) for issue in issues]


@bp.route("/items/new", methods=["GET", "POST"])
@staff_required(*BANK_ROLES)
def item_new():
    db = _db()
    user = _user()
    form = ItemForm()
    subject_arg = _int(request.args.get("subject"))
    subject = _subject_or_404(db, user, subject_arg) if subject_arg else None
    if request.method == "POST" and isinstance(form.subject.data, int):
        subject = _subject_or_404(db, user, form.subject.data)
    subject = _prepare_item_form(db, user, form, subject)
    form.subject.data = subject.id
    problems: list[str] = []
    if request.method == "POST" and form.validate_on_submit():
        try:
            item = create_item(db, subject, _draft_from_form(db, user, form), actor=user, now=now())
        except InvalidItem as error:
            db.rollback()
            problems = _issue_messages(error.issues)
        except BankError as error:
            db.rollback()
            problems = [str(error.message)]
        else:
            if form.media.errors:
                db.rollback()
                problems = list(form.media.errors)
            else:
                db.commit()
                flash(_("Question #%(id)d saved as a draft.", id=item.id), "ok")
                return redirect(url_for("bank.item_detail", item_id=item.id))
    return render_template(
        "bank/item_form.html",
        form=form,
        item=None,
        subject=subject,
        problems=problems,
        media=[],
    ), (422 if problems else 200)


@bp.route("/items/<int:item_id>/edit", methods=["GET", "POST"])
@staff_required(*BANK_ROLES)
def item_edit(item_id: int):
    db = _db()
    user = _user()
    item = _item_or_404(db, user, item_id)
    subject = db.get(Subject, item.subject_id)
    version = latest_version(db, item.id)
    form = ItemForm()
    _prepare_item_form(db, user, form, subject)
    form.remove_media.choices = choices(
        (entry["sha256"], entry.get("name") or entry["sha256"][:12])
        for entry in version.content.get("media", [])
    )
    problems: list[str] = []
    form.subject.data = subject.id  # shown but not editable: an item stays in its subject
    if request.method == "GET":
        form.load(item, version)
        _log(db, "view", [item.id], item.subject_id, page="edit")
        db.commit()
    elif form.validate_on_submit():
        try:
            draft = _draft_from_form(db, user, form, version.content.get("media", []))
            new_version = edit_item(db, item, draft, actor=user, now=now())
        except InvalidItem as error:
            db.rollback()
            problems = _issue_messages(error.issues)
        except BankError as error:
            db.rollback()
            problems = [str(error.message)]
        else:
            if form.media.errors:
                db.rollback()
                problems = list(form.media.errors)
            else:
                db.commit()
                if new_version is None:
                    flash(_("Saved; the question itself did not change."), "ok")
                else:
                    flash(
                        _(
                            "Saved as version %(n)d; the question is a draft until it is "
                            "reviewed again.",
                            n=new_version.version_no,
                        ),
                        "ok",
                    )
                return redirect(url_for("bank.item_detail", item_id=item.id))
    return render_template(
        "bank/item_form.html",
        form=form,
        item=item,
        subject=subject,
        problems=problems,
        media=_media_rows(db, version.content),
    ), (422 if problems else 200)


# --- import, templates, export ----------------------------------------------------------------


def _upload_digest(*parts: str) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


@bp.route("/import", methods=["GET", "POST"])
@staff_required(*BANK_ROLES)
def import_page():
    db = _db()
    user = _user()
    form = ImportForm()
    subjects = _subjects(db, user)
    form.subject.choices = choices((s.id, f"{s.code} — {s.name}") for s in subjects)
    report = confirm = None
    if form.validate_on_submit():
        subject = _subject_or_404(db, user, form.subject.data)
        upload = form.file.data
        data = upload.read()
        if len(data) > MAX_UPLOAD_BYTES:
            flash(
                _("The file is too large (more than %(n)d MB).", n=MAX_UPLOAD_BYTES >> 20), "error"
            )
            return redirect(url_for("bank.import_page"))
        files = {f.filename: f.read() for f in (form.media.data or []) if f and f.filename}
        filename = upload.filename or "upload"
        report = import_file(
            db,
            data=data,
            filename=filename,
            fmt=form.format.data,
            subject=subject,
            actor=user,
            now=now(),
            files=files,
            dry_run=True,
        )
        if report.ok:
            payload = base64.b64encode(data).decode()
            media_payload = base64.b64encode(
                json.dumps({k: base64.b64encode(v).decode() for k, v in files.items()}).encode()
            ).decode()
            confirm = ConfirmImportForm(
                subject=str(subject.id),
                format=report.format or form.format.data,
                filename=filename,
                payload=payload,
                media_payload=media_payload,
                digest=_upload_digest(str(subject.id), filename, payload, media_payload),
            )
    return render_template(
        "bank/import.html",
        form=form,
        report=report,
        confirm=confirm,
        template_doc=TEMPLATE_DOC,
        format_labels=FORMAT_LABELS,
    )


@bp.post("/import/confirm")
@staff_required(*BANK_ROLES)
def import_confirm():
    db = _db()
    user = _user()
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    expected = _upload_digest(
        form.subject.data, form.filename.data, form.payload.data, form.media_payload.data or ""
    )
    if not hmac.compare_digest(expected, form.digest.data):
        abort(400)
    subject = _subject_or_404(db, user, int(form.subject.data))
    data = base64.b64decode(form.payload.data)
    files = {}
    if form.media_payload.data:
        encoded = json.loads(base64.b64decode(form.media_payload.data))
        files = {name: base64.b64decode(value) for name, value in encoded.items()}
    report = import_file(
        db,
        data=data,
        filename=form.filename.data,
        fmt=form.format.data,
        subject=subject,
        actor=user,
        now=now(),
        files=files,
    )
    if not report.ok:
        db.rollback()
        flash(
            _("The bank changed since the check; the file now has errors. Nothing was imported."),
            "error",
        )
        return render_template(
            "bank/import.html",
            form=_fresh_import_form(subjects=_subjects(db, user)),
            report=report,
            confirm=None,
            template_doc=TEMPLATE_DOC,
            format_labels=FORMAT_LABELS,
        ), 422
    db.commit()
    flash(
        _(
            "Imported %(n)d questions into %(subject)s as drafts; they must be reviewed and "
            "approved before an exam can use them.",
            n=len(report.item_ids),
            subject=subject.code,
        ),
        "ok",
    )
    return redirect(url_for("bank.index", subject=subject.id, status="draft"))


def _fresh_import_form(subjects) -> ImportForm:
    form = ImportForm(formdata=None)
    form.subject.choices = choices((s.id, f"{s.code} — {s.name}") for s in subjects)
    return form


@bp.get("/template/<lang>.<ext>")
@staff_required(*BANK_ROLES)
def template_download(lang: str, ext: str):
    if lang not in ("vi", "en") or ext not in ("xlsx", "csv"):
        abort(404)
    if ext == "xlsx":
        data = template_xlsx(lang)
        media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data = template_csv(lang)
        media_type = "text/csv; charset=utf-8"
    name = f"mau-cau-hoi-{lang}.{ext}" if lang == "vi" else f"question-template-{lang}.{ext}"
    return Response(
        data,
        mimetype=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.route("/export", methods=["GET", "POST"])
@staff_required(*BANK_ROLES)
def export_page():
    db = _db()
    user = _user()
    form = ExportForm()
    form.subject.choices = choices((s.id, f"{s.code} — {s.name}") for s in _subjects(db, user))
    form.format.choices = choices((f, FORMAT_LABELS.get(f, f)) for f in EXPORT_FORMATS)
    if form.validate_on_submit():
        subject = _subject_or_404(db, user, form.subject.data)
        try:
            result = export_subject(
                db,
                subject,
                form.format.data,
                actor=user,
                now=now(),
                statuses=form.statuses.data,
                lang=form.lang.data,
                remote_addr=request.remote_addr,
            )
        except ExportError as error:
            db.rollback()
            for problem in error.errors:
                flash(
                    _("Question %(n)s: %(reason)s", n=problem.line, reason=problem.render(_)),
                    "error",
                )
            return render_template("bank/export.html", form=form), 422
        db.commit()
        return Response(
            result.data,
            mimetype=result.media_type,
            headers={"Content-Disposition": f'attachment; filename="{result.filename}"'},
        )
    return render_template("bank/export.html", form=form)


# --- subjects, topics, assignments ------------------------------------------------------------


@bp.route("/subjects", methods=["GET", "POST"])
@staff_required(*BANK_ROLES)
def subjects():
    db = _db()
    user = _user()
    form = SubjectForm()
    if user.role == "admin" and form.validate_on_submit():
        try:
            subject = create_subject(
                db,
                code=form.code.data,
                name=form.name.data,
                kind=form.kind.data,
                actor=user,
                now=now(),
                difficulty_levels=(form.levels.data or "").splitlines(),
            )
        except BankError as error:
            db.rollback()
            flash(str(error.message), "error")
        else:
            db.commit()
            flash(_("Subject %(code)s created.", code=subject.code), "ok")
            return redirect(url_for("bank.subject_detail", subject_id=subject.id))
    listed = _subjects(db, user)
    counts: dict[tuple[int, str], int] = {
        (subject_id, status): n
        for subject_id, status, n in db.execute(
            select(Item.subject_id, Item.status, func.count(Item.id)).group_by(
                Item.subject_id, Item.status
            )
        )
    }
    return render_template(
        "bank/subjects.html", subjects=listed, counts=counts, form=form, user=user
    )


@bp.route("/subjects/<int:subject_id>", methods=["GET", "POST"])
@staff_required(*BANK_ROLES)
def subject_detail(subject_id: int):
    db = _db()
    user = _user()
    subject = _subject_or_404(db, user, subject_id)
    tree = topic_tree(db, subject.id)
    edit = SubjectEditForm(prefix="s", obj=subject)
    topic_form = TopicForm(prefix="t")
    topic_form.parent.choices = choices(
        [(0, _("(top level)"))] + [(node.topic.id, node.path) for node in tree]
    )
    assign_form = AssignForm(prefix="a")
    candidates = db.scalars(
        select(User)
        .where(User.role.in_(("examiner", "reviewer")), User.active.is_(True))
        .order_by(User.username)
    ).all()
    assign_form.user.choices = choices(
        (u.id, f"{u.username} — {u.full_name} ({u.role})") for u in candidates
    )
    if request.method == "GET":
        edit.levels.data = "\n".join(subject.difficulty_levels or [])
    else:
        try:
            if "s-name" in request.form and edit.validate_on_submit():
                update_subject(
                    db,
                    subject,
                    name=edit.name.data,
                    kind=edit.kind.data,
                    difficulty_levels=(edit.levels.data or "").splitlines(),
                    actor=user,
                    now=now(),
                )
                flash(_("Subject saved."), "ok")
            elif "t-name" in request.form and topic_form.validate_on_submit():
                require_subject(db, user, subject.id)
                parent = db.get(Topic, topic_form.parent.data) if topic_form.parent.data else None
                create_topic(
                    db, subject, name=topic_form.name.data, parent=parent, actor=user, now=now()
                )
                flash(_("Topic added."), "ok")
            elif "a-user" in request.form and assign_form.validate_on_submit():
                target = db.get(User, assign_form.user.data) or abort(404)
                if assign_form.remove.data:
                    unassign(db, subject, target, actor=user, now=now())
                    flash(
                        _("%(name)s no longer works on this subject.", name=target.username), "ok"
                    )
                else:
                    assign(db, subject, target, actor=user, now=now())
                    flash(_("%(name)s now works on this subject.", name=target.username), "ok")
            else:
                raise BankError(_("Please correct the form."))
        except BankError as error:
            db.rollback()
            flash(str(error.message), "error")
        else:
            db.commit()
            return redirect(url_for("bank.subject_detail", subject_id=subject.id))
    return render_template(
        "bank/subject_detail.html",
        subject=subject,
        tree=tree,
        edit=edit,
        topic_form=topic_form,
        assign_form=assign_form,
        people=assignees(db, subject.id),
        levels=difficulty_labels(subject),
        user=user,
    )


@bp.get("/access-log")
@staff_required("admin")
def access_log():
    db = _db()
    rows = db.scalars(
        select(BankAccess).order_by(BankAccess.at.desc(), BankAccess.id.desc()).limit(500)
    ).all()
    return render_template(
        "bank/access_log.html",
        rows=rows,
        users={u.id: u for u in db.scalars(select(User))},
        subjects={s.id: s for s in db.scalars(select(Subject))},
        action_labels=labels.ACCESS_ACTION,
    )


# --- media ------------------------------------------------------------------------------------


def media_file(sha256: str):
    """Serve a stored file to bank staff, or to a candidate whose form shows it."""
    if not _SHA256.fullmatch(sha256):
        abort(404)
    db = _db()
    allowed = False
    if current_user.is_authenticated:
        allowed = media_store.staff_may_fetch(db, _user(), sha256)
    elif session.get("candidate_id"):
        allowed = media_store.candidate_may_fetch(db, int(session["candidate_id"]), sha256)
    stored = db.get(MediaFile, sha256) if allowed else None
    if stored is None:
        abort(404)
    response = Response(stored.data, mimetype=stored.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# Candidates fetch media on the exam server, where the bank's pages are not registered:
# media_bp serves the same URL alone (the composition root registers it where `bp` is not).
media_bp = Blueprint("bank_media", __name__, url_prefix="/bank")
bp.add_url_rule("/media/<sha256>", "media_file", media_file, methods=["GET"])
media_bp.add_url_rule("/media/<sha256>", "media_file", media_file, methods=["GET"])


@bp.context_processor
def _bank_context() -> dict[str, Any]:
    return {"bank_locale": str(get_locale()), "bank_statuses": labels.STATUS}
