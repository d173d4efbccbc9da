"""The site's layout kept per language, release and role (issue 12).

Rendering templates/base.html (header, menus, the offline script's messages, footer)
costs more than most pages' own blocks. Between two visitors with the same language
and role (or none), the layout differs only in the page's title and content, the
address the language switch returns to, the account's id (the offline script) and
the CSRF token of the logout form. So :func:`render_page` renders only the page's own
blocks, through an overlay of the template environment in which ``base.html`` is just
those blocks, and puts them into the layout rendered once per process, language,
release and role, with marks where those five go.

The layout is rendered for a role with a stand-in account that has nothing but the
role (and the mark for the id): a layout that came to show anything else of the
account (a name, an email) fails to render that way, and pages are then rendered
whole, never with another person's details. Rendered whole too: a page with a flashed
message, a session owing its second factor, a learner asked to verify their email
(those parts of the layout are one person's), a template that does not extend
base.html (rendered by the same call).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import Flask, current_app, render_template, render_template_string
from flask.signals import before_render_template, template_rendered
from flask_login import current_user
from jinja2 import ChoiceLoader, DictLoader, Environment
from markupsafe import escape

_MARK = secrets.token_hex(12)  # random: no page can contain it
TITLE, PATH, CONTENT, TOKEN, ACCOUNT, SPLIT = (
    f"lms-{name}-{_MARK}" for name in ("title", "path", "content", "token", "account",
                                       "split"))
# base.html as the overlay sees it: only the blocks a page fills (base.html's default
# title included).
OWN_BLOCKS = ("{% block title %}{{ site_name }}{% endblock %}" + SPLIT
              + "{% block content %}{% endblock %}")
SHELL = ("{% extends 'base.html' %}{% block title %}" + TITLE + "{% endblock %}"
         "{% block content %}" + CONTENT + "{% endblock %}")
_PIECES = re.compile(f"({TITLE}|{PATH}|{CONTENT}|{TOKEN}|{ACCOUNT})")


class NotInLayout(Exception):
    """The layout read something of the account besides its role."""


class _RoleOnly:
    """``current_user`` as the kept layout may see it: signed in, the role and what
    follows from it, a mark for the id. Anything else raises :class:`NotInLayout`."""

    is_authenticated, is_active, is_anonymous = True, True, False

    def __init__(self, role: str) -> None:
        self.role = role

    @property
    def id(self) -> str:
        return ACCOUNT

    def __getattr__(self, name: str):
        from lms.auth.models import User

        if name in ("can_manage", "can_review", "is_admin"):
            return getattr(User, name).fget(self)
        raise NotInLayout(name)


def _overlay(app: Flask) -> Environment:
    overlay = app.extensions.get("lms_layout_overlay")
    if overlay is None:
        overlay = app.jinja_env.overlay(loader=ChoiceLoader([
            DictLoader({"base.html": OWN_BLOCKS}), app.jinja_env.loader]))
        app.extensions["lms_layout_overlay"] = overlay
    return overlay


def _shell(app: Flask, role: str | None) -> list[str] | None:
    """The layout for ``role`` (None: not signed in) around its marks, split: text,
    mark, text, mark...; None if it cannot be kept (see above)."""
    from lms import select_locale
    from lms.http_cache import release

    key = (select_locale(), release(app)[0], role)
    shells = app.extensions.setdefault("lms_layout_shells", {})
    shell = shells.get(key)
    if shell is None:
        stand_in = {} if role is None else {
            "current_user": _RoleOnly(role), "csrf_token": lambda: TOKEN,
            "second_factor_pending": lambda: False, "email_reminder": None}
        try:
            text = render_template_string(SHELL, request_path=PATH, **stand_in)
        except NotInLayout:
            return None
        shell = _PIECES.split(text)
        marks = [TITLE, PATH, CONTENT] + ([] if role is None else [TOKEN, ACCOUNT])
        if sorted(shell[1::2]) != sorted(marks):
            return None
        shells[key] = shell
    return shell


def _own_layout(context: dict[str, Any]) -> bool:
    """Whether this request's layout holds what is one person's (see above)."""
    from lms.http_cache import showed_flashes

    if showed_flashes():
        return True
    if not current_user.is_authenticated:
        return False
    return bool(context.get("email_reminder")) or context["second_factor_pending"]()


def render_page(template_name: str, **context: Any) -> str:
    """``render_template(template_name, **context)``, the layout kept (see above)."""
    app = current_app._get_current_object()
    app.update_template_context(context)
    if _own_layout(context):
        return render_template(template_name, **context)
    template = _overlay(app).get_or_select_template(template_name)
    before_render_template.send(app, _async_wrapper=app.ensure_sync, template=template,
                                context=context)
    own = template.render(context)
    template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template,
                           context=context)
    if own.count(SPLIT) != 1:
        return own  # not a page of base.html
    user = current_user._get_current_object()
    role = user.role if user.is_authenticated else None
    shell = _shell(app, role)
    if shell is None:
        return render_template(template_name, **context)
    title, content = own.split(SPLIT)
    values = {TITLE: title, PATH: str(escape(context["request_path"])), CONTENT: content}
    if role is not None:
        token = context.get("csrf_token") or app.jinja_env.globals["csrf_token"]
        values.update({TOKEN: str(escape(token())), ACCOUNT: str(escape(user.id))})
    return "".join(values.get(piece, piece) if n % 2 else piece
                   for n, piece in enumerate(shell))
