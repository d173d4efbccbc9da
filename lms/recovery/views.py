"""/password/forgot, /password/reset/<token> and the email verification links."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    has_request_context,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.account.logic import register_email_verifier
from lms.auth import logic as auth
from lms.auth.views import end_session
from lms.extensions import db, limiter
from lms.recovery import logic
from lms.recovery.forms import ForgotPasswordForm, ResendForm, ResetPasswordForm

bp = Blueprint("recovery", __name__)
# "Tài khoản của tôi" sends the link for a new email address through this package.
bp.record_once(lambda state: register_email_verifier(state.app, logic.send_verification))


def _config(name: str):
    return lambda: current_app.config[name]


def _reset_account_key() -> str:
    """Reset links asked for one email, from anywhere; the same key whether or not
    an account has it."""
    return "reset:" + auth.throttle_key(request.form.get("email", ""))


def _locale() -> str:
    """The language of this browser's pages: the mail it asks for is in it too."""
    return str(get_locale())


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_config("LMS_RESET_LIMIT_PER_ADDRESS"), methods=["POST"], scope="reset-address")
@limiter.limit(_config("LMS_RESET_LIMIT_PER_ACCOUNT"), methods=["POST"],
               key_func=_reset_account_key, scope="reset-account")
def forgot_password():
    """Ask for a reset link. The answer is the same whether or not the address is an
    account's: it says where the link went if there is one."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        logic.request_password_reset(form.email.data, _locale())
        db.session.commit()
        return render_template("recovery/forgot_sent.html",
                               minutes=int(logic.RESET_VALID_FOR.total_seconds() // 60))
    return render_template("recovery/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_config("LMS_RESET_LIMIT_PER_ADDRESS"), methods=["POST"], scope="reset-use")
@limiter.limit(_config("LMS_ACTIVATE_LIMIT_PER_LINK"), methods=["POST"],
               key_func=lambda: "reset-link:" + request.path[:200], scope="reset-link")
def reset_password(token: str):
    try:
        _link, user = logic.find_link(token, logic.PASSWORD_RESET)
    except logic.LinkError as error:
        return render_template("recovery/reset.html", form=None, error=error.message), 410
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            logic.reset_password(token, form.password.data)
        except logic.LinkError as error:
            db.session.rollback()
            return render_template("recovery/reset.html", form=None, error=error.message), 410
        except auth.AccountError as error:
            db.session.rollback()
            form.password.errors.append(error.message)
        else:
            db.session.commit()
            end_session()  # whoever was signed in on this browser
            flash(_("Đã đặt mật khẩu mới và đăng xuất mọi phiên đăng nhập cũ. Hãy đăng nhập "
                    "bằng mật khẩu mới."), "success")
            return redirect(url_for("auth.login"))
    return render_template("recovery/reset.html", form=form, user=user, error=None)


@bp.get("/account/email/verify/<token>")
def verify_email(token: str):
    """The link in a verification mail (opening it is enough: it proves the mail
    arrived); it works signed in or not, on any device."""
    try:
        user = logic.verify_email(token)
    except logic.LinkError as error:
        db.session.rollback()
        return render_template("recovery/verified.html", error=error.message), 410
    except auth.AccountError as error:  # the new address was taken meanwhile
        db.session.rollback()
        return render_template("recovery/verified.html", error=error.message), 409
    db.session.commit()
    return render_template("recovery/verified.html", error=None, email=user.email)


@bp.post("/account/email/verify")
@login_required
@limiter.limit(_config("LMS_RESET_LIMIT_PER_ACCOUNT"),
               key_func=lambda: f"verify-email:{current_user.id}", scope="verify-resend")
def resend_verification():
    if not ResendForm().validate_on_submit():
        abort(400)
    if logic.needs_verification(current_user):
        logic.send_verification(current_user._get_current_object(), locale=_locale())
        db.session.commit()
        flash(_("Đã gửi lại thư xác nhận đến %(email)s. Hãy mở đường dẫn trong thư "
                "(xem cả mục Thư rác).", email=current_user.email), "success")
    return redirect(url_for("learning.my_learning"))


@bp.app_context_processor
def email_reminder():
    """base.html shows a reminder (and a button to mail the link again) to a
    self-registered learner whose email is not verified yet."""
    if (not has_request_context() or request.endpoint == "static"
            or not logic.needs_verification(current_user)):
        return {"email_reminder": None}
    # formdata=None: only its CSRF token is rendered, and this page may be an error
    # page for a body that must not be read (413).
    return {"email_reminder": ResendForm(formdata=None)}
