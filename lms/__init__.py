"""lms: digital-skills learning platform (Resolution 09-NQ/TU, Nghệ An)."""

from __future__ import annotations

import time
from functools import lru_cache
from pathlib import Path
from typing import Any

from babel import Locale
from flask import Flask, has_request_context, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_login import current_user
from itsdangerous import BadSignature
from limits.errors import ConfigurationError as LimitsConfigurationError
from werkzeug.middleware.proxy_fix import ProxyFix

from lms.config import PROJECT_ROOT, ConfigError, load_config
from lms.extensions import babel, csrf, db, limiter, login_manager, migrate
from lms.headers import register_security_headers
from lms.util.i18n import install_template_gettext
from lms.util.lru import BoundedLRU
from lms.util.time import local_time_text


def select_locale() -> str:
    """The language chosen in the session, else Vietnamese (the default)."""
    from flask import current_app

    if not has_request_context():  # CLI commands: the default, unless force_locale is used
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    languages = current_app.config["LMS_LANGUAGES"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


@lru_cache(maxsize=16)
def _parsed_locale(identifier: str) -> Locale:
    return Locale.parse(identifier)


def _babel_locale() -> Locale:
    # Flask-Babel parses what the selector gives on every request; a Locale is kept.
    return _parsed_locale(select_locale())


# Session cookies whose signature was checked, per process: a signed-in learner sends
# the same cookie on every click until it changes (lms.auth.views refreshes it at most
# once a minute), and checking and decoding it cost more than a kept page's own work.
SESSION_COOKIES_KEPT = 4096
_SCALARS = (str, int, float, bool, type(None))


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per set of
    keys instead of on every request (building it serialises a test value), and the
    cookies it verified kept (bounded, least recently used first): the same cookie text
    is not verified and decoded again. A kept cookie still expires as Flask's would (its
    signed time against the session lifetime), and only sessions of plain values are
    kept, so nothing a request changes in place reaches the next one."""

    def __init__(self) -> None:
        # (keys, serializer, the cookies verified with them): one tuple, so a rotated
        # secret never meets cookies verified under the keys before it.
        self._kept: tuple[tuple, Any, BoundedLRU] | None = None

    def _signing(self, app: Flask) -> tuple[Any, BoundedLRU]:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        kept = self._kept
        if kept is None or kept[0] != keys:
            kept = self._kept = (keys, super().get_signing_serializer(app),
                                 BoundedLRU(SESSION_COOKIES_KEPT, SESSION_COOKIES_KEPT,
                                            size_of=lambda _value: 1))
        return kept[1], kept[2]

    def get_signing_serializer(self, app: Flask):
        return self._signing(app)[0]

    def open_session(self, app: Flask, request):
        signer, verified = self._signing(app)
        if signer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        found = verified.get(value)
        if found is None:
            try:
                data, signed_at = signer.loads(value, max_age=max_age, return_timestamp=True)
            except BadSignature:
                return self.session_class()
            found = (int(signed_at.timestamp()), data)
            if isinstance(data, dict) and all(type(v) in _SCALARS for v in data.values()):
                verified.put(value, found)
        elif int(time.time()) - found[0] > max_age:  # as itsdangerous checks it
            return self.session_class()
        return self.session_class(found[1])


class App(Flask):
    """The Flask application class, asking once per function whether it is a coroutine
    (Flask asks for every hook and view on every request; none here is async)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synchronous: dict[Any, Any] = {}

    def ensure_sync(self, func):
        try:
            return self._synchronous[func]
        except KeyError:
            made = super().ensure_sync(func)
            if len(self._synchronous) < 4096:  # views and hooks; never one per request
                self._synchronous[func] = made
            return made
        except TypeError:  # an unhashable callable
            return super().ensure_sync(func)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = App(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(Path(app.instance_path), test_config))
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.session_interface = SessionCookies()
    if app.config["LMS_PROXY_COUNT"]:
        hops = app.config["LMS_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    try:
        limiter.init_app(app)
    except LimitsConfigurationError as error:
        raise ConfigError(f"LMS_RATELIMIT_STORAGE_URI={app.config['RATELIMIT_STORAGE_URI']}: "
                          f"{error} (for Redis: pip install 'lms[redis]')") from None
    babel.init_app(
        app,
        locale_selector=_babel_locale,
        default_translation_directories=str(Path(__file__).parent / "translations"),
    )
    install_template_gettext(app)

    # Import models so that metadata (and Alembic autogenerate) sees every table.
    from lms import models  # noqa: F401
    from lms.account.views import bp as account_bp
    from lms.audit.views import bp as audit_bp
    from lms.auth.views import bp as auth_bp
    from lms.community.views import api as community_api_bp
    from lms.community.views import bp as community_bp
    from lms.courses.views import bp as courses_bp
    from lms.learning.views import bp as learning_bp
    from lms.mail.views import bp as mail_bp
    from lms.main.views import bp as main_bp
    from lms.offline.views import bp as offline_bp
    from lms.org.views import bp as org_bp
    from lms.privacy.views import bp as privacy_bp
    from lms.recovery.views import bp as recovery_bp
    from lms.reminders.views import bp as reminders_bp
    from lms.reports.token_views import bp as tokens_bp
    from lms.reports.views import api as api_bp
    from lms.reports.views import bp as reports_bp
    from lms.review.views import bp as review_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(account_bp)  # after auth: its second-factor gate runs after
    app.register_blueprint(courses_bp)
    app.register_blueprint(learning_bp)
    app.register_blueprint(org_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(audit_bp)
    app.register_blueprint(tokens_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(mail_bp)
    app.register_blueprint(recovery_bp)
    app.register_blueprint(reminders_bp)
    app.register_blueprint(community_bp)
    app.register_blueprint(community_api_bp)
    app.register_blueprint(offline_bp)
    app.add_template_filter(local_time_text, "local_time")
    from lms.util.formatting import FILTERS

    for name, function in FILTERS.items():
        app.add_template_filter(function, name)

    # Listeners and registries that live beside what they extend.
    import lms.auth.leavers  # noqa: F401  (officials who leave lose roles and sessions)
    import lms.org.changes  # noqa: F401  (the "unit_changes" importer)
    from lms.cli import register_cli

    register_cli(app)

    from lms.main.views import register_error_handlers

    register_error_handlers(app)
    register_security_headers(app)

    @app.context_processor
    def inject_globals() -> dict[str, Any]:
        return {
            "site_name": app.config["LMS_SITE_NAME"],
            "operator": {key: app.config["LMS_" + key.upper()] for key in (
                "operator_name", "operator_address", "support_phone", "support_email",
                "support_hours")},
            "current_locale": select_locale(),
            "current_user": current_user,
            "request_path": request.full_path.rstrip("?") if request else "/",
        }

    return app
