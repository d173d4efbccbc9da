"""API tokens on an admin page (issue 16, point 7): created (the token shown once),
listed and revoked, each audited (lms/reports/tokens.py does the work, like the CLI)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.org.models import Unit
from lms.reports import tokens
from lms.reports.models import ApiToken

bp = Blueprint("tokens", __name__, url_prefix="/admin")


class TokenForm(FlaskForm):
    name = StringField(_l("Tên hệ thống dùng mã"),
                       validators=[DataRequired(_l("Hãy nhập tên hệ thống dùng mã.")),
                                   Length(max=255)])
    unit = StringField(_l("Mã đơn vị (phạm vi dữ liệu)"),
                       validators=[DataRequired(_l("Hãy nhập mã đơn vị.")), Length(max=64)],
                       render_kw={"list": "unit-codes", "autocomplete": "off",
                                  "autocapitalize": "characters"})


class RevokeForm(FlaskForm):
    """The CSRF token only."""


def _admin() -> None:
    if not current_user.is_admin:
        abort(403)


def _page(form: TokenForm, created: tuple[ApiToken, str] | None = None, status: int = 200):
    records = db.session.scalars(
        select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())).all()
    units = db.session.execute(
        select(Unit.code, Unit.name).where(Unit.level.in_(("province", "department", "commune")))
        .order_by(Unit.path)).all()
    response = make_response(render_template(
        "reports/tokens.html", form=form, revoke_form=RevokeForm(), records=records,
        units=units, created=created), status)
    if created is not None:  # the token itself: never kept by a browser or a proxy
        response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/tokens")
@login_required
def list_tokens():
    _admin()
    return _page(TokenForm())


@bp.post("/tokens")
@login_required
def create():
    _admin()
    form = TokenForm()
    if form.validate_on_submit():
        unit = unit_by_code(form.unit.data.strip().upper()) or unit_by_code(
            form.unit.data.strip())
        if unit is None:
            form.unit.errors = [*form.unit.errors,
                                _("Không có đơn vị mã '%(c)s'.", c=form.unit.data.strip()[:64])]
        else:
            record, token = tokens.create_token(unit, form.name.data.strip())
            db.session.commit()
            return _page(TokenForm(formdata=None), created=(record, token))
    return _page(form, status=200)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):
    _admin()
    if not RevokeForm().validate_on_submit():
        abort(400)
    record = tokens.revoke(token_id)
    if record is None:
        abort(404)
    db.session.commit()
    flash(_("Đã thu hồi mã API số %(id)s (%(name)s): mã không dùng được nữa.", id=record.id,
            name=record.name), "success")
    return redirect(url_for("tokens.list_tokens"))
