"""Configuration from environment variables with safe defaults.

Order of precedence (lowest first): defaults here, the environment, then the
``test_config`` mapping given to :func:`lms.create_app`.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

ENVIRONMENTS = ("production", "development", "testing")


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run safely."""


def normalise_database_url(url: str) -> str:
    """Route plain PostgreSQL URLs through psycopg 3, the driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _dev_secret_key(instance_path: Path) -> str:
    """A random key kept in instance/ so development sessions survive restarts."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def _targets_by_level(raw: str) -> dict[str, float]:
    """ "commune:95, office:100" → {"commune": 95.0, "office": 100.0}."""
    targets = {}
    for part in filter(None, (p.strip() for p in raw.split(","))):
        level, _, value = part.partition(":")
        try:
            targets[level.strip()] = float(value)
        except ValueError as exc:
            raise ConfigError(f"LMS_TARGET_PERCENT_BY_LEVEL: bad entry {part!r}") from exc
    return targets


def _level_labels(raw: str) -> dict[str, str]:
    labels: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in raw.split(";"))):
        level, colon, label = part.partition(":")
        if not colon or not level.strip() or not label.strip():
            raise ConfigError(f"LMS_LEVEL_LABELS: bad entry {part!r} (want code:Label)")
        labels[level.strip()] = label.strip()
    return labels


def load_config(instance_path: Path, test_config: dict[str, Any] | None) -> dict[str, Any]:
    env = (test_config or {}).get("LMS_ENV") or os.environ.get("LMS_ENV", "production")
    if env not in ENVIRONMENTS:
        raise ConfigError(f"LMS_ENV must be one of {', '.join(ENVIRONMENTS)}, not {env!r}")
    production = env == "production"

    database_url = os.environ.get("DATABASE_URL") or (
        f"sqlite:///{instance_path / 'lms.sqlite3'}"
    )
    config: dict[str, Any] = {
        "LMS_ENV": env,
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        # A pooled connection to a database server may have been closed (a restart, an
        # idle timeout): test it before use. A SQLite file's cannot.
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": not database_url.startswith("sqlite")},
        "LMS_COURSES_DIR": os.environ.get("LMS_COURSES_DIR", str(PROJECT_ROOT / "courses")),
        "LMS_TIMEZONE": os.environ.get("LMS_TIMEZONE", "Asia/Ho_Chi_Minh"),
        "LMS_ISSUING_BODY": os.environ.get("LMS_ISSUING_BODY", "UBND TỈNH NGHỆ AN"),
        # Địa danh of the province's documents ("Nghệ An, ngày … tháng … năm …"); a unit's
        # own place and signer are recorded with `flask --app lms documents signer`.
        "LMS_PLACE_NAME": os.environ.get("LMS_PLACE_NAME", "Nghệ An"),
        # What each unit level is called, "code:Label;..." over the post-2025 defaults of
        # lms/org/labels.py (e.g. "commune:Xã, phường, đặc khu;office:Phòng chuyên môn").
        "LMS_LEVEL_LABELS": _level_labels(os.environ.get("LMS_LEVEL_LABELS", "")),
        "LMS_SITE_NAME": os.environ.get("LMS_SITE_NAME", "Học kỹ năng số Nghệ An"),
        # The agency operating the platform, named in every page's footer and on the help
        # page (/help) with its contact details; an empty value is left out. No phone
        # number or address is invented by default: set them for a real deployment.
        "LMS_OPERATOR_NAME": os.environ.get("LMS_OPERATOR_NAME",
                                            "Sở Khoa học và Công nghệ tỉnh Nghệ An"),
        "LMS_OPERATOR_ADDRESS": os.environ.get("LMS_OPERATOR_ADDRESS", ""),
        "LMS_SUPPORT_PHONE": os.environ.get("LMS_SUPPORT_PHONE", ""),
        "LMS_SUPPORT_EMAIL": os.environ.get("LMS_SUPPORT_EMAIL", ""),
        "LMS_SUPPORT_HOURS": os.environ.get(
            "LMS_SUPPORT_HOURS", "Giờ hành chính, thứ Hai đến thứ Sáu"),
        # Used in activation links written by the CLI (the web UI uses the request's host).
        "LMS_BASE_URL": os.environ.get("LMS_BASE_URL", "http://127.0.0.1:5000"),
        "LMS_PRIVACY_NOTICE_VERSION": "2026-01",
        # The resolution's target: 100% of officials trained, unless configured per level.
        "LMS_TARGET_PERCENT": float(os.environ.get("LMS_TARGET_PERCENT", "100")),
        # Citizens' coverage per commune (lms/community): the share of adults to reach.
        "LMS_COVERAGE_TARGET_PERCENT": float(os.environ.get("LMS_COVERAGE_TARGET_PERCENT",
                                                            "80")),
        "LMS_TARGET_PERCENT_BY_LEVEL": _targets_by_level(
            os.environ.get("LMS_TARGET_PERCENT_BY_LEVEL", "")),
        # Anonymous course pages are kept rendered per process; each process asks the
        # database whether a course changed at most once this many seconds (0: on every
        # request). `courses sync` in another process shows after at most this long.
        "LMS_CONTENT_CHECK_SECONDS": float(os.environ.get("LMS_CONTENT_CHECK_SECONDS",
                                                          "5" if production else "0")),
        # A long quiz must not lose its answers to an expired CSRF token.
        "WTF_CSRF_TIME_LIMIT": int(os.environ.get("LMS_CSRF_TIME_LIMIT", str(8 * 3600))),
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LMS_LANGUAGES": ("vi", "en"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_bool("LMS_SECURE_COOKIES", production),
        # A session unused this long, or this old, ends (a quiz can take a while, and
        # the CSRF token lasts 8 hours too); "remember me" sessions end with their token.
        "LMS_SESSION_IDLE_HOURS": float(os.environ.get("LMS_SESSION_IDLE_HOURS", "8")),
        "LMS_SESSION_MAX_HOURS": float(os.environ.get("LMS_SESSION_MAX_HOURS", "12")),
        # "Remember me" on a shared office PC: one working week, not months. The server's
        # token ends then (lms/auth/remember.py), whatever happens to the cookie; the
        # cookie (HttpOnly, SameSite=Lax, Secure like the session's) lasts as long.
        "LMS_REMEMBER_DAYS": int(os.environ.get("LMS_REMEMBER_DAYS", "7")),
        # Login, registration and activation throttling (Flask-Limiter). With several
        # workers or hosts use a shared store, e.g. redis://localhost:6379/0
        # (pip install lms[redis]); memory:// counts per process.
        "RATELIMIT_ENABLED": _env_bool("LMS_RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("LMS_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failed logins per identifier before a temporary lock, and per address
        # (a commune office shares one address, so that one is generous).
        "LMS_LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LMS_LOGIN_LIMIT_PER_ACCOUNT",
                                                      "5 per 15 minutes"),
        "LMS_LOGIN_LIMIT_PER_ADDRESS": os.environ.get("LMS_LOGIN_LIMIT_PER_ADDRESS",
                                                      "50 per 15 minutes"),
        "LMS_REGISTER_LIMIT_PER_ADDRESS": os.environ.get("LMS_REGISTER_LIMIT_PER_ADDRESS",
                                                         "20 per hour"),
        "LMS_REGISTER_LIMIT_PER_ACCOUNT": os.environ.get("LMS_REGISTER_LIMIT_PER_ACCOUNT",
                                                         "5 per hour"),
        "LMS_ACTIVATE_LIMIT": os.environ.get("LMS_ACTIVATE_LIMIT", "10 per hour"),
        "LMS_ACTIVATE_LIMIT_PER_LINK": os.environ.get("LMS_ACTIVATE_LIMIT_PER_LINK",
                                                      "5 per 15 minutes"),
        # "Quên mật khẩu": requests for a reset link (and new passwords set with one)
        # from one address, and reset links sent for one email, from anywhere (also
        # the verification mails one account may ask for again).
        "LMS_RESET_LIMIT_PER_ADDRESS": os.environ.get("LMS_RESET_LIMIT_PER_ADDRESS",
                                                      "10 per hour"),
        "LMS_RESET_LIMIT_PER_ACCOUNT": os.environ.get("LMS_RESET_LIMIT_PER_ACCOUNT",
                                                      "3 per hour"),
        # Email (lms/mail): smtp://[user:pass@]host:port, smtp+starttls://…:587 or
        # smtps://…:465; without it mail waits in the outbox. The From address:
        # "hocso@example.vn" or "Tên <hocso@example.vn>".
        "LMS_SMTP_URL": os.environ.get("LMS_SMTP_URL", "").strip(),
        "LMS_MAIL_FROM": os.environ.get("LMS_MAIL_FROM", "").strip(),
        # Wrong two-factor codes (sign-in, set-up, turning off, new recovery codes) per
        # account and per address, like the password (lms/account/views.py).
        "LMS_2FA_LIMIT_PER_ACCOUNT": os.environ.get("LMS_2FA_LIMIT_PER_ACCOUNT",
                                                    "5 per 15 minutes"),
        "LMS_2FA_LIMIT_PER_ADDRESS": os.environ.get("LMS_2FA_LIMIT_PER_ADDRESS",
                                                    "50 per 15 minutes"),
        # The key the authenticator secrets are encrypted under (lms/auth/twofactor.py);
        # empty: SECRET_KEY. Set it to the old SECRET_KEY before rotating that one, or
        # every second factor must be reset.
        "LMS_2FA_KEY": os.environ.get("LMS_2FA_KEY", ""),
        # Behind N reverse proxies, trust N X-Forwarded-For/-Proto hops, so throttling
        # and the audit log see the visitor's address rather than the proxy's.
        "LMS_PROXY_COUNT": int(os.environ.get("LMS_PROXY_COUNT", "0")),
        # Named in an X-LMS-Server response header when several app servers answer
        # behind one proxy (deploy/); empty: no header.
        "LMS_SERVER_NAME": os.environ.get("LMS_SERVER_NAME", "").strip(),
        # An official marked as left keeps their learning record; may they still sign in
        # (as a learner only, every other role taken away)? Off by default.
        "LMS_LEFT_OFFICIALS_CAN_SIGN_IN": os.environ.get(
            "LMS_LEFT_OFFICIALS_CAN_SIGN_IN", "0").lower() in ("1", "true", "yes", "on"),
        # Classroom training records self-declared by a unit's HR and not yet verified by
        # the province: counted as trained (on) or only once verified (off). Rejected
        # records never count (lms/review).
        "LMS_COUNT_DECLARED_TRAINING": _env_bool("LMS_COUNT_DECLARED_TRAINING", True),
        # The largest scan (PDF, PNG or JPEG) attached to a training class as evidence.
        "LMS_EVIDENCE_MAX_BYTES": int(os.environ.get("LMS_EVIDENCE_MAX_BYTES",
                                                     str(10 * 1024 * 1024))),
        "MAX_CONTENT_LENGTH": int(os.environ.get("LMS_MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
        # What reading an uploaded workbook's first sheet may hold in memory (a shared
        # string repeated in many cells multiplies); a 100,000-row roster needs 55-70 MB.
        "LMS_XLSX_MAX_READ_MB": float(os.environ.get("LMS_XLSX_MAX_READ_MB", "256")),
        # A quiz submission's body: a quiz's answers need a few KB (larger: 413).
        "LMS_QUIZ_MAX_BYTES": int(os.environ.get("LMS_QUIZ_MAX_BYTES", str(64 * 1024))),
    }
    config.update(test_config or {})

    if not config["SECRET_KEY"]:
        if config["LMS_ENV"] == "production":
            raise ConfigError(
                "SECRET_KEY must be set in production (export SECRET_KEY=..., "
                "or LMS_ENV=development for a local trial)."
            )
        config["SECRET_KEY"] = _dev_secret_key(instance_path)
    key = config["SECRET_KEY"]
    if config["LMS_ENV"] == "production" and len(
            key.encode("utf-8") if isinstance(key, str) else key) < 32:
        # Sessions, remember-me and CSRF tokens are signed with it: "x" can be guessed.
        raise ConfigError(
            "SECRET_KEY must be at least 32 bytes in production; make one with: "
            "python3 -c 'import secrets; print(secrets.token_hex(32))'")
    _check_mail_settings(config)
    return config


def _check_mail_settings(config: dict[str, Any]) -> None:
    """A mistyped LMS_SMTP_URL or a missing From address stops the app at start."""
    if not config.get("LMS_SMTP_URL"):
        return
    from lms.mail.smtp import SmtpUrlError, parse_from_address, parse_smtp_url

    try:
        parse_smtp_url(config["LMS_SMTP_URL"])
    except SmtpUrlError as error:
        raise ConfigError(str(error)) from None
    if not config.get("LMS_MAIL_FROM"):
        raise ConfigError("LMS_MAIL_FROM must be set with LMS_SMTP_URL "
                          "(e.g. LMS_MAIL_FROM=hocso@example.vn).")
    try:
        parse_from_address(config["LMS_MAIL_FROM"], config["LMS_SITE_NAME"])
    except ValueError as error:
        raise ConfigError(str(error)) from None
