"""Turn audit reports into rows for the CLI, the pages and the bundle."""

from __future__ import annotations

from exam_server.audit_verify import VerifyReport
from exam_server.council.messages import mismatch_message


def verify_report_rows(report: VerifyReport) -> list[dict]:
    """Return one JSON-able dict per mismatch, with the candidate and a translated message."""
    info = {attempt.attempt_id: attempt for attempt in report.attempts}
    rows = []
    for mismatch in report.mismatches:
        attempt = info.get(mismatch.attempt_id)
        rows.append(
            {
                "attempt": mismatch.attempt_id,
                "candidate": attempt.registration_number if attempt else None,
                "part": attempt.part_position if attempt else None,
                "attempt_no": attempt.attempt_no if attempt else None,
                "event": mismatch.ordinal,
                "position": mismatch.position,
                "what": mismatch.code,
                "field": mismatch.field,
                "message": mismatch_message(mismatch.code, mismatch.position, mismatch.field),
                "expected": mismatch.expected,
                "found": mismatch.found,
            }
        )
    return rows
