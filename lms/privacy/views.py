from __future__ import annotations

import json

from flask import Blueprint, Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from werkzeug.security import check_password_hash

from lms.audit import logic as audit
from lms.extensions import db
from lms.privacy import logic
from lms.privacy.forms import DeleteAccountForm
from lms.util.urls import attachment

bp = Blueprint("privacy", __name__, url_prefix="/account")


@bp.get("/data")
@login_required
def data():
    return render_template("privacy/data.html", form=DeleteAccountForm(),
                           can_delete=logic.can_delete(current_user))


@bp.get("/data.json")
@login_required
def download():
    document = logic.user_data(current_user)
    audit.record("data.download", target=f"user {current_user.id}")
    db.session.commit()
    return Response(json.dumps(document, ensure_ascii=False, indent=2),
                    mimetype="application/json",
                    headers=attachment("du-lieu-cua-toi.json"))


@bp.post("/delete")
@login_required
def delete():
    form = DeleteAccountForm()
    if not logic.can_delete(current_user):
        return render_template("privacy/data.html", form=form, can_delete=False), 403
    if form.validate_on_submit():
        if not current_user.password_hash or not check_password_hash(
                current_user.password_hash, form.password.data):
            form.password.errors.append(_("Mật khẩu không đúng."))
        else:
            logic.anonymise(current_user._get_current_object())
            db.session.commit()
            logout_user()
            flash(_("Tài khoản đã được xóa thông tin cá nhân. Cảm ơn bạn đã học cùng chúng tôi."),
                  "success")
            return redirect(url_for("main.index"))
    return render_template("privacy/data.html", form=form, can_delete=True), 400
