from __future__ import annotations

import logging
import time
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from flask_login.config import COOKIE_NAME as FLASK_LOGIN_COOKIE

from lms.auth import logic, remember, twofactor
from lms.auth.activation import ActivationError, activate, find_token
from lms.auth.forms import (
    ActivateForm,
    ChangePasswordForm,
    DeviceForm,
    LoginForm,
    RegisterForm,
)
from lms.auth.landing import landing_url
from lms.extensions import db, limiter, login_manager
from lms.org.logic import communes
from lms.org.models import Official
from lms.recovery.logic import send_verification
from lms.util.i18n import mark
from lms.util.text import fold
from lms.util.time import utcnow
from lms.util.urls import is_safe_next

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = mark("Hãy đăng nhập để tiếp tục.")
login_manager.login_message_category = "info"
login_manager.localize_callback = _


@login_manager.user_loader
def load_user(session_id: str):
    # Only a session start_session() began counts. Flask-Login also fills the session
    # from its own remember-me cookie (user id and version, no server-side expiry),
    # which lms no longer issues: such a cookie, even a validly signed old one, is ignored.
    if session.get("signed_in_as") != session_id:
        return None
    return logic.load_session_user(session_id)


def _redirect_next(default: str):
    target = request.values.get("next")
    return redirect(target if is_safe_next(target) else default)


log = logging.getLogger("lms.auth")


SESSION_KEYS = ("signed_in_as", "login_at", "seen_at", "remember_id", twofactor.SESSION_KEY,
                twofactor.REMEMBER_KEY)
# How often a remembered browser's "last used" is written (not on every click).
TOUCH_SECONDS = 15 * 60


def _set_remember_cookie(value: str | None, expires_at: datetime | None = None) -> None:
    """The lms_remember cookie this response sets (``value``) or deletes (None)."""
    g.remember_cookie = (value, expires_at)


@bp.after_app_request
def write_remember_cookie(response):
    if request.cookies.get(FLASK_LOGIN_COOKIE):  # issued by older versions; never honoured
        response.delete_cookie(FLASK_LOGIN_COOKIE)
    if "remember_cookie" not in g:
        return response
    value, expires_at = g.pop("remember_cookie")
    secure = current_app.config["SESSION_COOKIE_SECURE"]
    if value is None:
        if remember.COOKIE_NAME in request.cookies:
            response.delete_cookie(remember.COOKIE_NAME, secure=secure, httponly=True,
                                   samesite="Lax")
        return response
    # The browser forgets it when the server does: max-age is what is left of the token.
    max_age = max(0, round((expires_at - utcnow()).total_seconds()))
    response.set_cookie(remember.COOKIE_NAME, value, max_age=max_age, secure=secure,
                        httponly=True, samesite="Lax")
    return response


def start_session(user, *, remember_me: bool = False, token=None,
                  cookie: str | None = None, two_factor_done: bool = False) -> None:
    """Sign in and stamp the session, so idle and over-long sessions can be ended.

    ``remember_me`` asks for a remembered-browser token (learners only: see
    remember.can_remember); ``token`` and ``cookie`` are the one this browser has just
    presented. A remembered session lasts as long as its token, no longer.

    The session has passed the second factor (lms/auth/twofactor.py) when
    ``two_factor_done``, when it is a remembered browser's (remembered only after it),
    when this request already passed it as this user (a password change restarts the
    session), or when the account needs none. Otherwise the browser is remembered only
    once the code is entered, and lms.account's gate opens nothing but the second step.
    """
    done = (two_factor_done or token is not None
            or g.get("two_factor_passed_by") == user.id or not twofactor.needed(user))
    login_user(user, remember=False)  # Flask-Login's own remember-me cookie is never used
    now = int(time.time())
    session.update(signed_in_as=user.get_id(), login_at=now, seen_at=now)
    # A new CSRF secret for the signed-in session: a token a page showed before sign-in
    # (to whoever else used that browser, or planted it) no longer works.
    session.pop("csrf_token", None)
    g.pop("csrf_token", None)
    session.pop(twofactor.REMEMBER_KEY, None)
    if done:
        twofactor.mark_passed(user)
    else:
        twofactor.forget()
        if remember_me and remember.can_remember(user):
            session[twofactor.REMEMBER_KEY] = True
        remember_me = False
    if token is None and remember_me and remember.can_remember(user):
        token, cookie = remember.issue(user, user_agent=request.headers.get("User-Agent"),
                                       address=request.remote_addr)
        db.session.commit()
    if token is None:
        session.pop("remember_id", None)
        _set_remember_cookie(None)
    else:
        session["remember_id"] = token.id
        _set_remember_cookie(cookie, token.expires_at)


def end_session() -> None:
    """Sign this browser out: its session, its remembered-browser token and cookie."""
    token_id = session.get("remember_id")
    if token_id and current_user.is_authenticated:
        token = remember.own_token(current_user, token_id)
        if token is not None:
            remember.revoke(token)
            db.session.commit()
    logout_user()
    for key in SESSION_KEYS:
        session.pop(key, None)
    _set_remember_cookie(None)


@bp.before_app_request
def sign_in_remembered_browser():
    """A browser without a session but with a live remember-me token gets a session
    (and a new secret in its cookie); a worthless cookie is deleted."""
    cookie = request.cookies.get(remember.COOKIE_NAME)
    if not cookie or request.endpoint == "static" or current_user.is_authenticated:
        return None  # (the cookie first: most requests have none, and no account to load)
    result = remember.redeem(cookie, address=request.remote_addr)
    db.session.commit()  # the rotation, or what a replayed cookie revoked
    if result.user is None:
        if result.clear:
            _set_remember_cookie(None)
        return None
    start_session(result.user, token=result.token, cookie=result.cookie)
    log.info("session restored from a remembered browser user=%s", result.user.id)
    return None


def _session_expired():
    end_session()
    flash(_("Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại."), "info")
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?"))
                    if request.method == "GET" else url_for("auth.login"))


@bp.before_app_request
def end_stale_sessions():
    """A session unused for LMS_SESSION_IDLE_HOURS, or older than
    LMS_SESSION_MAX_HOURS, ends. A remembered session ends with its server-side
    token instead: LMS_REMEMBER_DAYS after sign-in, or when revoked."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = int(time.time())
    token_id = session.get("remember_id")
    if token_id:
        token = remember.session_token(token_id, current_user)
        if token is None:
            log.info("session ended (remember-me token expired or revoked) user=%s",
                     current_user.id)
            return _session_expired()
        if (utcnow() - token.last_used_at).total_seconds() > TOUCH_SECONDS:
            remember.touch(token, request.remote_addr)
            db.session.commit()
        return None
    config = current_app.config
    idle = now - session.get("seen_at", now) > config["LMS_SESSION_IDLE_HOURS"] * 3600
    old = now - session.get("login_at", 0) > config["LMS_SESSION_MAX_HOURS"] * 3600
    if idle or old:
        log.info("session ended (%s) user=%s", "idle" if idle else "max age", current_user.id)
        return _session_expired()
    if now - session.get("seen_at", 0) > 60:  # not a new cookie on every click
        session["seen_at"] = now
    return None


def _config(name: str):
    return lambda: current_app.config[name]


def _identifier_key() -> str:
    """Failed logins count per account, however it is typed (its email, phone or
    employee code all count together: penetration test 2026-11 had 5 guesses by email
    and 5 more by phone); for an identifier of no account, per identifier as typed.
    Either way the lock looks the same, so it reveals nothing."""
    typed = request.form.get("identifier", "")[:255]
    # (Read before the form is validated: nothing a database refuses, such as NUL.)
    user = logic.find_by_identifier(typed) if "\x00" not in typed else None
    if user is not None:
        return f"login:account:{user.id}"
    return "login:" + logic.throttle_key(typed)


def _registration_key() -> str:
    """Attempts to register one email or phone number, from any address."""
    typed = request.form.get("email") or request.form.get("phone") or ""
    return "register:" + logic.throttle_key(typed)


def _login_failed(_response) -> bool:
    return g.get("login_failed", False)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_config("LMS_LOGIN_LIMIT_PER_ADDRESS"), methods=["POST"],
               deduct_when=_login_failed, scope="login-address")
@limiter.limit(_config("LMS_LOGIN_LIMIT_PER_ACCOUNT"), methods=["POST"],
               key_func=_identifier_key, deduct_when=_login_failed, scope="login-account")
def login():
    if current_user.is_authenticated:
        return _redirect_next(landing_url(current_user))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        user = logic.authenticate(form.identifier.data, form.password.data)
        if user is None:
            g.login_failed = True
            log.warning("login failed key=%s from %s", logic.throttle_key(form.identifier.data)
                        .split(":")[0], request.remote_addr)
            form.password.errors.append(
                _("Thông tin đăng nhập không đúng. Kiểm tra lại email, số điện thoại "
                  "hoặc mã cán bộ và mật khẩu.")
            )
        else:
            db.session.commit()
            start_session(user, remember_me=form.remember.data)
            if form.remember.data and not remember.can_remember(user):
                flash(_("Tài khoản quản trị và cán bộ tổ chức không được ghi nhớ đăng nhập. "
                        "Hãy đăng xuất khi dùng xong."), "info")
            log.info("login ok user=%s from %s", user.id, request.remote_addr)
            return _redirect_next(landing_url(user))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    # A copied session or remember-me cookie must not outlive the logout: every
    # session and remembered browser of the user ends, and this browser forgets it.
    logic.end_sessions(current_user._get_current_object())
    db.session.commit()
    end_session()
    flash(_("Bạn đã đăng xuất."), "info")
    return redirect(url_for("main.index"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_config("LMS_REGISTER_LIMIT_PER_ADDRESS"), methods=["POST"], scope="register")
@limiter.limit(_config("LMS_REGISTER_LIMIT_PER_ACCOUNT"), methods=["POST"],
               key_func=_registration_key, scope="register-account")
def register():
    if current_user.is_authenticated:
        return redirect(url_for("learning.my_learning"))
    form = RegisterForm()
    units = communes()
    if form.is_submitted():
        # Every problem in one pass: the form's own checks and the account rules
        # (email, phone, password, tax code, commune), each on its field.
        form_ok = form.validate()
        unit, commune_error = _pick_commune(form.commune.data, units)
        if commune_error:
            form.commune.errors = [*form.commune.errors, commune_error]
        registration = logic.Registration(
            kind=form.kind.data or "",
            full_name=form.full_name.data or "",
            email=form.email.data,
            phone=form.phone.data,
            password=form.password.data or "",
            unit=unit,
            tax_code=form.tax_code.data,
            business_type=form.business_type.data or None,
            consent_version=current_app.config["LMS_PRIVACY_NOTICE_VERSION"],
        )
        problems = logic.registration_problems(registration)
        for problem in problems:
            target = getattr(form, problem.field or "full_name")
            if problem.message not in target.errors:
                target.errors = [*target.errors, problem.message]
        if form_ok and not problems and not commune_error:
            try:
                user = logic.register_learner(registration)
            except logic.AccountErrors as error:  # taken between the check and now
                db.session.rollback()
                for problem in error.errors:
                    target = getattr(form, problem.field or "full_name")
                    target.errors = [*target.errors, problem.message]
            else:
                if user.email:  # verified by a link mailed with the same commit
                    send_verification(user, locale=str(get_locale()))
                db.session.commit()
                start_session(user)
                flash(_("Đăng ký thành công. Chào mừng bạn!"), "success")
                return redirect(url_for("courses.catalogue"))
    return render_template("auth/register.html", form=form, communes=units)


COMMUNE_PREFIXES = ("xa ", "phuong ", "thi tran ", "dac khu ")


def _commune_key(name: str) -> str:
    """A commune's name as matched: no accents or case, without "Xã"/"Phường"."""
    folded = fold(name)
    for prefix in COMMUNE_PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix):]
    return folded


def _pick_commune(typed: str | None, units) -> tuple[object | None, str | None]:
    """The commune a typed name means, or None and why not (with the names it could
    be, so a browser without the suggestion list can still pick one)."""
    typed = (typed or "").strip()
    if not typed:
        return None, None
    exact = [u for u in units if u.name.casefold() == typed.casefold()]
    if len(exact) == 1:
        return exact[0], None
    key = _commune_key(typed)
    same = [u for u in units if _commune_key(u.name) == key]
    if len(same) == 1:
        return same[0], None
    close = same or [u for u in units if key and key in _commune_key(u.name)]
    if close:
        names = ", ".join(u.name for u in close[:8])
        return None, _("Có nhiều xã, phường gần giống \u201c%(typed)s\u201d: %(names)s. Hãy gõ "
                       "đúng tên một xã, phường.", typed=typed[:60], names=names)
    return None, _("Không tìm thấy xã, phường \u201c%(typed)s\u201d trong tỉnh. Hãy gõ vài chữ "
                   "của tên rồi chọn trong danh sách gợi ý, hoặc để trống.", typed=typed[:60])


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            logic.change_password(current_user, form.current_password.data, form.password.data)
        except logic.AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "password").errors.append(error.message)
        else:
            db.session.commit()
            # The version changed and every remembered browser was signed out: keep this
            # browser signed in (remembered again if it was: the password was just given).
            start_session(current_user._get_current_object(),
                          remember_me=bool(session.get("remember_id")))
            flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã được đăng xuất."), "success")
            return redirect(url_for("learning.my_learning"))
    return render_template("auth/change_password.html", form=form)


@bp.get("/account/devices")
@login_required
def devices():
    """The browsers this account is remembered on, each with a sign-out button."""
    return render_template("auth/devices.html", form=DeviceForm(),
                           tokens=remember.live_tokens(current_user),
                           current_id=session.get("remember_id"),
                           days=current_app.config["LMS_REMEMBER_DAYS"])


@bp.post("/account/devices/<int:token_id>/revoke")
@login_required
def revoke_device(token_id: int):
    if not DeviceForm().validate_on_submit():
        abort(400)
    token = remember.own_token(current_user, token_id)
    if token is None:
        abort(404)
    if token.id == session.get("remember_id"):  # this browser: sign it out
        end_session()
        flash(_("Đã đăng xuất và không ghi nhớ đăng nhập trên máy này nữa."), "info")
        return redirect(url_for("auth.login"))
    remember.revoke(token)
    db.session.commit()
    flash(_("Đã đăng xuất thiết bị đó. Lần sau trên thiết bị đó cần đăng nhập lại."), "success")
    return redirect(url_for("auth.devices"))


@bp.post("/account/devices/revoke-all")
@login_required
def revoke_all_devices():
    """Every other browser is signed out, remembered or not; this one stays signed in."""
    if not DeviceForm().validate_on_submit():
        abort(400)
    user = current_user._get_current_object()
    logic.end_sessions(user)
    db.session.commit()
    start_session(user)
    log.info("all other sessions ended by the user user=%s", user.id)
    flash(_("Đã đăng xuất trên mọi thiết bị khác. Máy này vẫn đăng nhập."), "success")
    return redirect(url_for("auth.devices"))


@bp.route("/activate/<token>", methods=["GET", "POST"])
@limiter.limit(_config("LMS_ACTIVATE_LIMIT"), methods=["POST"], scope="activate")
@limiter.limit(_config("LMS_ACTIVATE_LIMIT_PER_LINK"), methods=["POST"],
               key_func=lambda: "activate:" + request.path[:200], scope="activate-link")
def activate_account(token: str):
    """An official's one-time link: choose a password, then straight to their courses."""
    try:
        record = find_token(token)
    except ActivationError as error:
        return render_template("auth/activate.html", form=None, error=error.message), 410
    official = db.session.get(Official, record.official_id)
    form = ActivateForm()
    if form.validate_on_submit():
        try:
            user = activate(token, form.password.data)
        except ActivationError as error:
            db.session.rollback()
            return render_template("auth/activate.html", form=None, error=error.message), 410
        except logic.AccountError as error:
            db.session.rollback()
            form.password.errors.append(error.message)
        else:
            db.session.commit()
            end_session()  # whoever was signed in on this browser
            start_session(user)
            flash(_("Đã kích hoạt tài khoản. Lần sau hãy đăng nhập bằng mã cán bộ %(code)s "
                    "hoặc email và mật khẩu vừa chọn.", code=official.employee_code), "success")
            return redirect(url_for("learning.my_learning"))
    return render_template("auth/activate.html", form=form, official=official, error=None)
