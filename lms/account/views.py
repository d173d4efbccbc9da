"""My account, the two-factor pages, the admin's reset, and the gate in front of
every page for sessions that still owe their second factor."""

from __future__ import annotations

import logging

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from wtforms import SelectChoice

from lms.account import logic
from lms.account.forms import (
    DisableForm,
    ProfileForm,
    RecoveryCodesForm,
    RemindersForm,
    ResetForm,
    SetupForm,
    VerifyForm,
)
from lms.auth import twofactor
from lms.auth.forms import DeviceForm
from lms.auth.landing import landing_url
from lms.auth.logic import AccountError
from lms.auth.models import User
from lms.auth.twofactor import RecoveryCode, TwoFactor, TwoFactorError
from lms.auth.views import start_session
from lms.extensions import db, limiter
from lms.util.urls import is_safe_next

bp = Blueprint("account", __name__)
log = logging.getLogger("lms.auth")

# What a session that still owes its second factor may open: the second step, log
# out, and the public pages its footer links to (help, privacy notice, certificate
# check), which anyone may read signed out.
OPEN_BEFORE_SECOND_FACTOR = frozenset({
    "static", "auth.logout", "main.set_language", "main.health",
    "account.verify_two_factor", "account.setup_two_factor",
    "main.help", "main.privacy", "learning.verify",
})


@bp.before_app_request
def require_second_factor():
    """Admins and HR officers, and anyone who turned two-factor on, reach nothing but
    the second step (and logout) until they pass it; admins and HR officers without an
    authenticator are sent to set one up. Runs after lms.auth's session checks."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return None
    user = current_user._get_current_object()
    if twofactor.passed(user):
        g.two_factor_passed_by = user.id
        return None
    enabled = twofactor.is_enabled(user)
    if not enabled and not twofactor.required(user):
        twofactor.mark_passed(user)  # nothing to ask; asked again only with a new session
        g.two_factor_passed_by = user.id
        return None
    if request.endpoint in OPEN_BEFORE_SECOND_FACTOR:
        return None
    target = "account.verify_two_factor" if enabled else "account.setup_two_factor"
    wanted = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for(target, next=wanted) if is_safe_next(wanted) else url_for(target))


def second_factor_pending() -> bool:
    """Does this session still owe its second factor? Then every page but those in
    OPEN_BEFORE_SECOND_FACTOR sends it back to the second step, and base.html's header
    shows only the site name, the language switch and log out."""
    if not has_request_context() or not current_user.is_authenticated:
        return False
    user = current_user._get_current_object()
    if g.get("two_factor_passed_by") == user.id or twofactor.passed(user):
        return False
    return twofactor.needed(user)


@bp.app_context_processor
def second_factor_state():
    # A function, so that only a page that shows the header asks (and pays the query).
    return {"second_factor_pending": second_factor_pending}


def _next_or(default: str) -> str:
    target = request.values.get("next")
    return target if is_safe_next(target) else default


def _config(name: str):
    return lambda: current_app.config[name]


def _account_key() -> str:
    """One count per account (the signed-in one), however the identifier was typed."""
    if current_user.is_authenticated:
        return f"2fa:user:{current_user.id}"
    return "2fa:anonymous"


def _code_failed(_response) -> bool:
    return g.get("two_factor_failed", False)


def _failed(form, error: str, field: str = "code") -> None:
    g.two_factor_failed = True
    log.warning("two-factor code refused user=%s from %s", current_user.id,
                request.remote_addr)
    getattr(form, field).errors.append(error)


# Wrong codes are counted on every page that checks one, together: per account and per
# address, failed attempts only (like the password).
per_account = limiter.shared_limit(_config("LMS_2FA_LIMIT_PER_ACCOUNT"), scope="2fa-account",
                                   key_func=_account_key, methods=["POST"],
                                   deduct_when=_code_failed)
per_address = limiter.shared_limit(_config("LMS_2FA_LIMIT_PER_ADDRESS"), scope="2fa-address",
                                   methods=["POST"], deduct_when=_code_failed)


# --- the second step of signing in -----------------------------------------------------


@bp.route("/login/two-factor", methods=["GET", "POST"])
@per_address
@per_account
@login_required
def verify_two_factor():
    user = current_user._get_current_object()
    if twofactor.passed(user):
        return redirect(_next_or(landing_url(user)))
    if not twofactor.is_enabled(user):
        return redirect(url_for("account.setup_two_factor", next=request.args.get("next")))
    form = VerifyForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        kind = twofactor.check_code(user, form.code.data)
        if kind is None:
            db.session.commit()  # a replayed step is remembered as used either way
            _failed(form, _("Mã không đúng hoặc đã dùng. Hãy nhập mã mới đang hiện trong "
                            "ứng dụng, hoặc một mã dự phòng chưa dùng."))
        else:
            db.session.commit()
            start_session(user, remember_me=bool(session.get(twofactor.REMEMBER_KEY)),
                          two_factor_done=True)
            log.info("two-factor ok (%s) user=%s from %s", kind, user.id, request.remote_addr)
            if kind == "recovery":
                left = twofactor.remaining_recovery_codes(user)
                flash(_("Bạn đã đăng nhập bằng một mã dự phòng; còn %(n)d mã. Nếu mất điện "
                        "thoại, hãy cài lại xác thực hai bước hoặc tạo mã dự phòng mới.",
                        n=left), "warning")
            return redirect(_next_or(landing_url(user)))
    return render_template("account/verify.html", form=form, user=user)


# --- setting up, turning off, new recovery codes ------------------------------------------


@bp.route("/account/two-factor/setup", methods=["GET", "POST"])
@per_address
@per_account
@login_required
def setup_two_factor():
    user = current_user._get_current_object()
    if twofactor.is_enabled(user):
        if not twofactor.passed(user):
            return redirect(url_for("account.verify_two_factor",
                                    next=request.args.get("next")))
        flash(_("Xác thực hai bước đã bật."), "info")
        return redirect(url_for("account.two_factor"))
    form = SetupForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            codes = twofactor.confirm_setup(user, form.code.data)
        except TwoFactorError as error:
            db.session.commit()
            _failed(form, error.message)
        else:
            db.session.commit()
            # Every other session ended; this one goes on, past its second factor.
            start_session(user, remember_me=bool(session.get("remember_id")
                                                 or session.get(twofactor.REMEMBER_KEY)),
                          two_factor_done=True)
            log.info("two-factor turned on user=%s", user.id)
            return render_template("account/recovery_codes.html", codes=codes, first=True,
                                   next=_next_or(url_for("account.index")))
    secret = twofactor.start_setup(user)
    db.session.commit()
    uri = twofactor.provisioning_uri(user, secret)
    return render_template(
        "account/setup.html", form=form, user=user, required=twofactor.required(user),
        qr=twofactor.qr_svg(uri, _("Mã QR để thêm tài khoản vào ứng dụng xác thực")),
        key=twofactor.grouped(secret), issuer=current_app.config["LMS_SITE_NAME"],
        label=twofactor.account_label(user))


@bp.get("/account/two-factor")
@login_required
def two_factor():
    user = current_user._get_current_object()
    record = twofactor.record_of(user)
    enabled = record is not None and record.confirmed_at is not None
    return render_template("account/two_factor.html", record=record if enabled else None,
                           required=twofactor.required(user),
                           remaining=twofactor.remaining_recovery_codes(user),
                           disable_form=DisableForm(), codes_form=RecoveryCodesForm())


@bp.post("/account/two-factor/disable")
@per_address
@per_account
@login_required
def disable_two_factor():
    user = current_user._get_current_object()
    form = DisableForm()
    if form.validate_on_submit():
        try:
            twofactor.disable(user, form.password.data, form.code.data)
        except TwoFactorError as error:
            db.session.commit()
            _failed(form, error.message, error.field)
        else:
            db.session.commit()
            g.pop("two_factor_passed_by", None)  # that factor is gone: nothing carries over
            start_session(user, remember_me=bool(session.get("remember_id")))
            if twofactor.required(user):
                flash(_("Đã gỡ ứng dụng xác thực cũ. Tài khoản quản trị và cán bộ tổ chức "
                        "bắt buộc dùng xác thực hai bước: hãy cài trên điện thoại mới."),
                      "info")
                return redirect(url_for("account.setup_two_factor"))
            flash(_("Đã tắt xác thực hai bước. Các thiết bị khác đã được đăng xuất."),
                  "success")
            return redirect(url_for("account.two_factor"))
    record = twofactor.record_of(user)
    enabled = record is not None and record.confirmed_at is not None
    return render_template("account/two_factor.html", record=record if enabled else None,
                           required=twofactor.required(user),
                           remaining=twofactor.remaining_recovery_codes(user),
                           disable_form=form, codes_form=RecoveryCodesForm())


@bp.post("/account/two-factor/recovery-codes")
@per_address
@per_account
@login_required
def new_recovery_codes():
    user = current_user._get_current_object()
    form = RecoveryCodesForm()
    if not twofactor.is_enabled(user):
        return redirect(url_for("account.two_factor"))
    if form.validate_on_submit():
        try:
            codes = twofactor.regenerate_recovery_codes(user, form.code.data)
        except TwoFactorError as error:
            db.session.commit()
            _failed(form, error.message)
        else:
            db.session.commit()
            return render_template("account/recovery_codes.html", codes=codes, first=False,
                                   next=url_for("account.two_factor"))
    return render_template("account/two_factor.html", record=twofactor.record_of(user),
                           required=twofactor.required(user),
                           remaining=twofactor.remaining_recovery_codes(user),
                           disable_form=DisableForm(), codes_form=form)


# --- My account ------------------------------------------------------------------------


def _reminders_form(user: User, formdata=None) -> RemindersForm:
    form = RemindersForm(formdata=formdata) if formdata is not None else RemindersForm(
        reminders=logic.reminder_choice(user))
    form.reminders.choices = [SelectChoice(value, logic.REMINDER_LABELS[value])
                              for value in logic.reminder_options(user)]
    return form


def _index(profile_form=None, reminders_form=None, status: int = 200):
    user = current_user._get_current_object()
    record = twofactor.record_of(user)
    profile_form = profile_form or ProfileForm(full_name=user.full_name, phone=user.phone)
    return render_template(
        "account/index.html", user=user, profile_form=profile_form,
        reminders_form=reminders_form or _reminders_form(user),
        can_edit_name=logic.can_edit_name(user),
        email_change=logic.email_change_available(),
        two_factor_on=record is not None and record.confirmed_at is not None,
        two_factor_required=twofactor.required(user),
        recovery_left=twofactor.remaining_recovery_codes(user),
        device_form=DeviceForm()), status


@bp.get("/account")
@login_required
def index():
    return _index()


@bp.post("/account/profile")
@login_required
def update_profile():
    user = current_user._get_current_object()
    form = ProfileForm()
    if form.validate_on_submit():
        try:
            changed = logic.update_profile(
                user, full_name=form.full_name.data, phone=form.phone.data,
                email=form.email.data if logic.email_change_available() else None,
                password=form.current_password.data)
        except AccountError as error:
            db.session.rollback()
            getattr(form, error.field or "full_name").errors.append(error.message)
        else:
            db.session.commit()
            if "email" in changed:
                flash(_("Đã gửi đường dẫn xác nhận tới %(email)s. Email mới được dùng sau khi "
                        "bạn mở đường dẫn đó.", email=user.pending_email), "success")
            elif changed:
                flash(_("Đã lưu thông tin tài khoản."), "success")
            else:
                flash(_("Không có gì thay đổi."), "info")
            return redirect(url_for("account.index"))
    return _index(profile_form=form)


@bp.post("/account/reminders")
@login_required
def update_reminders():
    user = current_user._get_current_object()
    form = _reminders_form(user, request.form)
    if form.validate_on_submit():
        try:
            logic.set_reminders(user, form.reminders.data)
        except AccountError as error:
            db.session.rollback()
            form.reminders.errors.append(error.message)
        else:
            db.session.commit()
            flash(_("Đã lưu lựa chọn nhắc học."), "success")
            return redirect(url_for("account.index"))
    return _index(reminders_form=form)


# --- the admin's reset -------------------------------------------------------------------


def _admin_only() -> None:
    if not current_user.is_admin:
        abort(403)


@bp.get("/admin/two-factor")
@login_required
def admin_two_factor():
    """Staff accounts (who must use two-factor) and everyone who turned it on, with a
    reset button for someone who lost their phone and their recovery codes."""
    _admin_only()
    q = request.args.get("q", "").strip()[:100]
    query = select(User).where(User.is_active, or_(User.role.in_(twofactor.REQUIRED_ROLES),
                                                   User.id.in_(select(TwoFactor.user_id))))
    if q:
        needle = f"%{q.lower()}%"
        query = query.where(or_(func.lower(User.email).like(needle), User.phone.like(needle),
                                func.lower(User.full_name).like(needle)))
    page = db.paginate(query.order_by(User.role, User.full_name, User.id),
                       page=request.args.get("page", 1, type=int), per_page=50,
                       error_out=False)
    ids = [user.id for user in page.items]
    enabled = dict(db.session.execute(select(TwoFactor.user_id, TwoFactor.confirmed_at)
                                      .where(TwoFactor.user_id.in_(ids))).all())
    remaining = dict(db.session.execute(
        select(RecoveryCode.user_id, func.count()).where(
            RecoveryCode.user_id.in_(ids), RecoveryCode.used_at.is_(None))
        .group_by(RecoveryCode.user_id)).all())
    rows = [(user, user.id in enabled, enabled.get(user.id), remaining.get(user.id, 0))
            for user in page.items]
    return render_template("account/admin_two_factor.html", rows=rows, page=page, q=q,
                           form=ResetForm())


@bp.post("/admin/two-factor/<int:user_id>/reset")
@login_required
def reset_two_factor(user_id: int):
    _admin_only()
    if not ResetForm().validate_on_submit():
        abort(400)
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    twofactor.reset(user)
    db.session.commit()
    log.info("two-factor reset by admin=%s for user=%s", current_user.id, user.id)
    flash(_("Đã đặt lại xác thực hai bước của %(name)s. Người đó đã bị đăng xuất và sẽ cài "
            "lại khi đăng nhập.", name=user.full_name), "success")
    return redirect(url_for("account.admin_two_factor"))
