"""The authorization matrix: every route with the roles (and anonymous) allowed on it.

A route missing from this table fails the test, so no page can be added without deciding
who may use it. The roles declared on each view (by staff_required / candidate_required)
must equal the table, and a sample of real requests shows the decorators do what they say.
"""

from __future__ import annotations

import pytest

from exam_server.models import STAFF_ROLES
from tests.conftest import csrf_from
from tests.factories import make_sitting, make_staff

ANONYMOUS = ("anonymous",)
ALL_STAFF = ("any_staff",)

# endpoint -> who may use it ("anonymous": no sign-in; "candidate"; "any_staff"; staff roles).
MATRIX = {
    "bank.access_log": ("admin",),
    "bank.bulk": ("admin", "examiner", "reviewer"),
    "bank.export_page": ("admin", "examiner", "reviewer"),
    "bank.import_confirm": ("admin", "examiner", "reviewer"),
    "bank.import_page": ("admin", "examiner", "reviewer"),
    "bank.index": ("admin", "examiner", "reviewer"),
    "bank.item_detail": ("admin", "examiner", "reviewer"),
    "bank.item_edit": ("admin", "examiner", "reviewer"),
    "bank.item_history": ("admin", "examiner", "reviewer"),
    "bank.item_new": ("admin", "examiner", "reviewer"),
    "bank.item_preview": ("admin", "examiner", "reviewer"),
    "bank.item_transition": ("admin", "examiner", "reviewer"),
    "bank.media_file": ("anonymous",),
    "bank.print_items": ("admin", "examiner", "reviewer"),
    "bank.review": ("admin", "examiner", "reviewer"),
    "bank.static": ("anonymous",),
    "bank.subject_detail": ("admin", "examiner", "reviewer"),
    "bank.subjects": ("admin", "examiner", "reviewer"),
    "bank.template_download": ("admin", "examiner", "reviewer"),
    "council.approve": ("council_chair", "admin"),
    "council.bundle": ("council_chair", "admin"),
    "council.compile_results": ("council_chair", "admin"),
    "council.confirm_decision": ("council_chair", "admin"),
    "council.decisions": ("council_member", "council_chair", "supervisor", "admin"),
    "council.exam_overview": ("council_member", "council_chair", "supervisor", "admin"),
    "council.export": ("council_member", "council_chair", "supervisor", "admin"),
    "council.index": (
        "council_member",
        "council_chair",
        "supervisor",
        "admin",
        "examiner",
        "reviewer",
    ),
    "council.items": (
        "council_member",
        "council_chair",
        "supervisor",
        "admin",
        "examiner",
        "reviewer",
    ),
    "council.items_map": (
        "council_member",
        "council_chair",
        "supervisor",
        "admin",
        "examiner",
        "reviewer",
    ),
    "council.part_histogram": ("council_member", "council_chair", "supervisor", "admin"),
    "council.recheck": ("council_member", "council_chair", "supervisor", "admin"),
    "council.record_decision": ("council_chair", "admin"),
    "council.results": ("council_member", "council_chair", "supervisor", "admin"),
    "council.revoke_decision": ("council_chair", "admin"),
    "council.set_places": ("council_chair", "admin"),
    "council.static": ("anonymous",),
    "council.verify": ("council_member", "council_chair", "supervisor", "admin"),
    "council.write_facility": ("council_chair", "admin", "reviewer"),
    "delivery.candidate_status": ("candidate",),
    "delivery.exam_page": ("candidate",),
    "delivery.heartbeat": ("candidate",),
    "delivery.login": ("anonymous",),
    "delivery.logout": ("candidate",),
    "delivery.media_file": ("candidate",),
    "delivery.play": ("candidate",),
    "delivery.result": ("candidate",),
    "delivery.review": ("candidate",),
    "delivery.save_changes": ("candidate",),
    "delivery.start": ("candidate",),
    "delivery.submit": ("candidate",),
    "delivery.waiting": ("candidate",),
    "index": ("anonymous",),
    "proctor.approve_move": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.candidate_page": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.checkin_page": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.checkin_save": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.extension": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.grid": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.incident_page": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.incidents": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.open_envelope": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.open_retake": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.record_pdf": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.results": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.retake": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.room_action": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.room_page": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.rooms": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.sanction": (
        "admin",
        "head_proctor",
        "proctor",
        "technician",
        "supervisor",
        "council_chair",
        "council_member",
    ),
    "proctor.static": ("anonymous",),
    "set_language": ("anonymous",),
    "setup.blueprint_save": ("admin",),
    "setup.blueprint_suggest": ("admin",),
    "setup.candidates": ("admin", "council_member", "council_chair", "supervisor"),
    "setup.exam_advance": ("admin",),
    "setup.exam_detail": ("admin", "council_member", "council_chair", "supervisor"),
    "setup.exam_list": ("admin", "council_member", "council_chair", "supervisor"),
    "setup.exam_new": ("admin",),
    "setup.exam_publish": ("admin",),
    "setup.exam_settings": ("admin",),
    "setup.forms_generate": ("admin",),
    "setup.forms_report": ("admin", "council_member", "council_chair", "supervisor"),
    "setup.forms_report_pdf": ("admin", "council_member", "council_chair", "supervisor"),
    "setup.issue_codes": ("admin",),
    "setup.part_edit": ("admin", "council_member", "council_chair", "supervisor"),
    "setup.regenerate_code": ("admin",),
    "setup.room_add": ("admin",),
    "setup.room_lists": (
        "admin",
        "council_member",
        "council_chair",
        "supervisor",
        "head_proctor",
        "technician",
    ),
    "setup.rooms_page": ("admin", "council_member", "council_chair", "supervisor"),
    "setup.seat_assign": ("admin",),
    "setup.seat_move": ("admin",),
    "setup.session_codes": ("admin",),
    "setup.shift_add": ("admin",),
    "setup.slips_pdf": ("admin",),
    "setup.staff_add": ("admin",),
    "setup.staff_remove": ("admin",),
    "setup.static": ("anonymous",),
    "staff.audit_log": ("admin",),
    "staff.home": ("any_staff",),
    "staff.login": ("anonymous",),
    "staff.logout": ("any_staff",),
    "staff.logout_everywhere": ("any_staff",),
    "static": ("anonymous",),
}

# Public endpoints whose view decides access itself (documented here, checked below).
CHECKED_IN_VIEW = {
    "bank.media_file"
}  # 404 unless bank staff of the subject or the sitting candidate


def all_endpoints(app):
    return sorted(rule.endpoint for rule in app.url_map.iter_rules())


def test_every_route_is_in_the_matrix(app):
    missing = [endpoint for endpoint in all_endpoints(app) if endpoint not in MATRIX]
    assert not missing, f"routes without a decision on who may use them: {missing}"
    stale = sorted(set(MATRIX) - set(all_endpoints(app)))
    assert not stale, f"the matrix lists routes that no longer exist: {stale}"


def test_the_views_enforce_the_roles_of_the_matrix(app):
    for endpoint in all_endpoints(app):
        declared = getattr(app.view_functions[endpoint], "allowed_roles", ANONYMOUS)
        assert set(declared) == set(MATRIX[endpoint]), endpoint
        assert set(declared) <= {*STAFF_ROLES, "candidate", "any_staff", "anonymous"}, endpoint


def sample_url(app, endpoint):
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = {name: 1 for name in rule.arguments}
    if "kind" in rule.arguments:
        values["kind"] = "csv"
    for name in ("sha256", "filename", "path", "code", "fmt", "lang"):
        if name in rule.arguments:
            values[name] = "x"
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values), rule.methods - {"HEAD", "OPTIONS"}


def call(app, client, endpoint, token):
    """Request the endpoint's sample URL with its first method and a valid CSRF token."""
    url, methods = sample_url(app, endpoint)
    method = "GET" if "GET" in methods else "POST"
    return client.open(
        url, method=method, data={"csrf_token": token}, headers={"X-CSRFToken": token}
    )


def protected(app):
    return [e for e in all_endpoints(app) if MATRIX[e] != ANONYMOUS]


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    token = csrf_from(client.get("/login").text)
    for endpoint in protected(app):
        response = call(app, client, endpoint, token)
        if MATRIX[endpoint] == ("candidate",):
            assert response.status_code in (302, 401), endpoint
        else:
            assert response.status_code == 302 and "/staff/login" in response.headers["Location"], (
                endpoint
            )


def test_a_signed_in_candidate_reaches_no_staff_route(app, client, db, clock):
    sitting = make_sitting(db, clock.now)
    candidate, code = sitting.candidates[0]
    db.commit()
    token = csrf_from(client.get("/login").text)
    client.post(
        "/login",
        data={
            "csrf_token": token,
            "registration_number": candidate.registration_number,
            "access_code": code,
        },
    )
    token = csrf_from(client.get("/wait").text)
    for endpoint in protected(app):
        if MATRIX[endpoint] == ("candidate",):
            continue
        response = call(app, client, endpoint, token)
        assert response.status_code == 302 and "/staff/login" in response.headers["Location"], (
            endpoint
        )


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_staff_are_refused_where_their_role_is_not_listed(app, db, clock, role):
    make_staff(db, clock.now, role, username=f"u-{role}")
    db.commit()
    client = app.test_client()
    token = csrf_from(client.get("/staff/login").text)
    client.post(
        "/staff/login",
        data={"csrf_token": token, "username": f"u-{role}", "password": "correct-horse-42"},
    )
    token = csrf_from(client.get("/staff/").text)
    for endpoint in protected(app):
        allowed = MATRIX[endpoint]
        if allowed == ("candidate",) or "any_staff" in allowed or role in allowed:
            continue
        response = call(app, client, endpoint, token)
        assert response.status_code == 403, (role, endpoint, response.status_code)
