"""Question bank pages (authoring, review, import/export)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("bank", __name__, url_prefix="/bank", template_folder="templates")
