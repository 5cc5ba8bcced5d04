"""Validated configuration: defaults, then EXAM_* environment, then overrides."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PREFIX = "EXAM_"


class ConfigError(RuntimeError):
    """Raised at start-up when the configuration is missing or invalid."""


@dataclass(frozen=True)
class Setting:
    name: str
    kind: type
    default: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("ENV", str, "development", "development | production | testing"),
    Setting(
        "DATABASE_URL", str, None, "SQLAlchemy URL; default: SQLite file in the instance folder"
    ),
    Setting("SECRET_KEY", str, None, "signs sessions and CSRF tokens; required in production"),
    Setting("SERVER_ROLE", str, "combined", "office | exam | combined"),
    Setting("BCRYPT_ROUNDS_STAFF", int, 12, "bcrypt cost for staff passwords"),
    # Codes are random (31^8 ≈ 8.5e11) and short-lived, and online guessing is throttled per
    # account, so a lower cost than staff passwords is safe and lets a room sign in at once.
    Setting("BCRYPT_ROUNDS_CANDIDATE", int, 8, "bcrypt cost for candidate access codes"),
    Setting("SAVE_GRACE_SECONDS", int, 15, "answer saves accepted this long after a deadline"),
    Setting("DEFAULT_LOCALE", str, "vi", "vi | en"),
    Setting("TIMEZONE", str, "Asia/Ho_Chi_Minh", "time zone used for display"),
    Setting("SESSION_COOKIE_SECURE", bool, False, "set true behind HTTPS"),
    Setting("STAFF_IDLE_MINUTES", int, 30, "staff sessions end after this idle time"),
    Setting("HEARTBEAT_SECONDS", int, 10, "how often a terminal reports and re-syncs its clock"),
    Setting("LOGIN_FREE_FAILURES", int, 5, "failed sign-ins per account before tries are delayed"),
    Setting("LOGIN_WINDOW_MINUTES", int, 15, "failures older than this are forgotten"),
    Setting("LOGIN_MAX_DELAY_SECONDS", int, 300, "the longest delay between tries for one account"),
    Setting("LOGIN_OPENS_MINUTES", int, 60, "candidates may sign in this long before their shift"),
    Setting("STAFF_NETWORKS", str, "", "comma-separated networks (CIDR) allowed on staff pages"),
    Setting("MAX_UPLOAD_MB", int, 50, "largest upload accepted (imports, media)"),
    Setting(
        "DB_POOL_SIZE",
        int,
        16,
        "database connections each worker keeps open: at least its threads (gunicorn's 16)",
    ),
    Setting(
        "PROXY_COUNT", int, 0, "reverse proxies in front (nginx: 1) whose X-Forwarded-For to trust"
    ),
)

# Read by the test suite, not by the app; listed so a typo in other names still fails fast.
KNOWN_EXTRA = {"TEST_DATABASE_URL", "BENCH_DATABASE_URL", "INSTANCE_PATH"}

ENVIRONMENTS = {"development", "production", "testing"}
ROLES = {"office", "exam", "combined"}
LOCALES = {"vi", "en"}


def _coerce(setting: Setting, raw: Any) -> Any:
    if raw is None or not isinstance(raw, str) or setting.kind is str:
        return raw
    if setting.kind is bool:
        lowered = raw.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{PREFIX}{setting.name} must be true or false, got {raw!r}")
    try:
        return setting.kind(raw)
    except ValueError as exc:
        raise ConfigError(
            f"{PREFIX}{setting.name} must be {setting.kind.__name__}, got {raw!r}"
        ) from exc


def load_config(environ: Mapping[str, str], overrides: Mapping[str, Any] | None = None) -> dict:
    """Build the validated settings dict from defaults, the environment and overrides."""
    known = {s.name for s in SETTINGS}
    unknown = sorted(
        key[len(PREFIX) :]
        for key in environ
        if key.startswith(PREFIX) and key[len(PREFIX) :] not in known | KNOWN_EXTRA
    )
    if unknown:
        raise ConfigError("Unknown settings: " + ", ".join(PREFIX + name for name in unknown))
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = environ.get(PREFIX + setting.name, setting.default)
        values[setting.name] = _coerce(setting, raw)
    for key, value in (overrides or {}).items():
        values[key] = value
    _validate(values)
    return values


def _validate(values: dict) -> None:
    if values["ENV"] not in ENVIRONMENTS:
        raise ConfigError(f"{PREFIX}ENV must be one of {sorted(ENVIRONMENTS)}")
    if values["SERVER_ROLE"] not in ROLES:
        raise ConfigError(f"{PREFIX}SERVER_ROLE must be one of {sorted(ROLES)}")
    if values["DEFAULT_LOCALE"] not in LOCALES:
        raise ConfigError(f"{PREFIX}DEFAULT_LOCALE must be one of {sorted(LOCALES)}")
    if not values.get("SECRET_KEY"):
        raise ConfigError(
            f"{PREFIX}SECRET_KEY is not set. Set it in the environment "
            "(examctl generates one in the instance folder for local runs)."
        )
    if values["ENV"] == "production" and not values.get("DATABASE_URL"):
        raise ConfigError(f"{PREFIX}DATABASE_URL is required when {PREFIX}ENV=production")
    try:
        values["STAFF_NETWORK_LIST"] = parse_networks(values["STAFF_NETWORKS"])
    except ValueError as exc:
        raise ConfigError(f"{PREFIX}STAFF_NETWORKS: {exc}") from exc
    for name in ("BCRYPT_ROUNDS_STAFF", "BCRYPT_ROUNDS_CANDIDATE"):
        if not 4 <= values[name] <= 16:
            raise ConfigError(f"{PREFIX}{name} must be between 4 and 16")


def environ_snapshot() -> dict[str, str]:
    """Return the process environment (a seam for tests)."""
    return dict(os.environ)


def parse_networks(text: str) -> tuple:
    """Parse "10.0.0.0/24, 192.168.1.5" into ip_network objects (empty: no restriction)."""
    import ipaddress

    return tuple(
        ipaddress.ip_network(part.strip(), strict=False) for part in text.split(",") if part.strip()
    )
