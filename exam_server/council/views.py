"""Council pages (results, reports, item statistics, re-check)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("council", __name__, url_prefix="/council", template_folder="templates")
