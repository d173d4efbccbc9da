from __future__ import annotations

import logging
import time

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from wtforms import SelectChoice

from lms.auth import logic
from lms.auth.activation import ActivationError, activate, find_token
from lms.auth.forms import ActivateForm, ChangePasswordForm, LoginForm, RegisterForm
from lms.extensions import db, limiter, login_manager
from lms.org.logic import communes
from lms.org.models import Official
from lms.util.i18n import mark
from lms.util.urls import is_safe_next

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = mark("Hãy đăng nhập để tiếp tục.")
login_manager.login_message_category = "info"
login_manager.localize_callback = _


@login_manager.user_loader
def load_user(session_id: str):
    return logic.load_session_user(session_id)


def _redirect_next(default: str):
    target = request.values.get("next")
    return redirect(target if is_safe_next(target) else default)


log = logging.getLogger("lms.auth")


def start_session(user, remember: bool = False) -> None:
    """Sign in and stamp the session, so idle and over-long sessions can be ended."""
    login_user(user, remember=remember)
    now = int(time.time())
    session.update(login_at=now, seen_at=now, remembered=bool(remember))


@bp.before_app_request
def end_stale_sessions():
    """A session unused for LMS_SESSION_IDLE_HOURS, or older than
    LMS_SESSION_MAX_HOURS, ends (unless the person ticked "remember me")."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    now = int(time.time())
    if "login_at" not in session:  # restored from the remember-me cookie
        session.update(login_at=now, seen_at=now, remembered=True)
        return None
    if session.get("remembered"):
        return None
    config = current_app.config
    idle = now - session.get("seen_at", now) > config["LMS_SESSION_IDLE_HOURS"] * 3600
    old = now - session["login_at"] > config["LMS_SESSION_MAX_HOURS"] * 3600
    if idle or old:
        log.info("session ended (%s) user=%s", "idle" if idle else "max age", current_user.id)
        logout_user()
        for key in ("login_at", "seen_at", "remembered"):
            session.pop(key, None)
        flash(_("Phiên đăng nhập đã hết hạn. Hãy đăng nhập lại."), "info")
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?"))
                        if request.method == "GET" else url_for("auth.login"))
    if now - session.get("seen_at", 0) > 60:  # not a new cookie on every click
        session["seen_at"] = now
    return None


def _config(name: str):
    return lambda: current_app.config[name]


def _identifier_key() -> str:
    # The same key whether or not the account exists: a lock reveals nothing.
    return "login:" + logic.throttle_key(request.form.get("identifier", ""))


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
        return _redirect_next(url_for("learning.my_learning"))
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
            start_session(user, remember=form.remember.data)
            log.info("login ok user=%s from %s", user.id, request.remote_addr)
            return _redirect_next(url_for("learning.my_learning"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    # A copied session or remember-me cookie must not outlive the logout.
    logic.end_sessions(current_user._get_current_object())
    db.session.commit()
    logout_user()
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
    form.unit_id.choices = [SelectChoice("0", _("— Chọn xã, phường —"))] + [
        SelectChoice(str(u.id), u.name) for u in units
    ]
    if form.validate_on_submit():
        unit = next((u for u in units if u.id == form.unit_id.data), None)
        try:
            user = logic.register_learner(
                logic.Registration(
                    kind=form.kind.data,
                    full_name=form.full_name.data,
                    email=form.email.data,
                    phone=form.phone.data,
                    password=form.password.data,
                    unit=unit,
                    tax_code=form.tax_code.data,
                    business_type=form.business_type.data or None,
                    consent_version=current_app.config["LMS_PRIVACY_NOTICE_VERSION"],
                )
            )
        except logic.AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "full_name").errors.append(error.message)
        else:
            db.session.commit()
            start_session(user)
            flash(_("Đăng ký thành công. Chào mừng bạn!"), "success")
            return redirect(url_for("courses.catalogue"))
    return render_template("auth/register.html", form=form, has_communes=bool(units))


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
            # The version changed: keep this browser signed in, the others are out.
            start_session(current_user._get_current_object(),
                          remember=session.get("remembered", False))
            flash(_("Đã đổi mật khẩu. Các phiên đăng nhập khác đã được đăng xuất."), "success")
            return redirect(url_for("learning.my_learning"))
    return render_template("auth/change_password.html", form=form)


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
            logout_user()
            start_session(user)
            flash(_("Đã kích hoạt tài khoản. Lần sau hãy đăng nhập bằng mã cán bộ %(code)s "
                    "hoặc email và mật khẩu vừa chọn.", code=official.employee_code), "success")
            return redirect(url_for("learning.my_learning"))
    return render_template("auth/activate.html", form=form, official=official, error=None)
