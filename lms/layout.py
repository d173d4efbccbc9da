"""The site's layout kept per language, release and role (issue 12).

Rendering templates/base.html (header, menus, the offline script's messages, footer)
costs more than most pages' own blocks. Between two visitors with the same language
and role (or none), the layout differs only in the page's title and content, the
address the language switch returns to, the account's id (the offline script) and
the CSRF token of its forms, and, for a learner asked to verify their email, the
address in that reminder. So :func:`render_page` renders only the page's own blocks,
through an overlay of the template environment in which ``base.html`` is just those
blocks, and puts them into the layout rendered once per process, language, release,
role and reminder, with marks where those go.

The layout is rendered for a role with a stand-in account that has nothing but the
role (and the marks for the id and, in the reminder, the email): a layout that came to
show anything else of the account (a name; the email elsewhere) fails to render that
way, and pages are then rendered whole, never with another person's details. Rendered
whole too: a page with a flashed message, a session owing its second factor (those
parts of the layout are one person's), a template that does not extend base.html
(rendered by the same call).

A page whose own blocks differ between visitors only in a few texts (the certificate
verification page: the code, the learner's name, the course) keeps those blocks too,
for visitors not signed in: :func:`render_with_slots`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Hashable
from typing import Any

from flask import Flask, current_app, render_template, render_template_string, request
from flask.signals import before_render_template, template_rendered
from flask_login import current_user
from jinja2 import ChoiceLoader, DictLoader, Environment
from markupsafe import escape

from lms.util.lru import BoundedLRU, per_app

_MARK = secrets.token_hex(12)  # random: no page can contain it
TITLE, PATH, CONTENT, TOKEN, ACCOUNT, EMAIL, SPLIT = (
    f"lms-{name}-{_MARK}" for name in ("title", "path", "content", "token", "account",
                                       "email", "split"))
# base.html as the overlay sees it: only the blocks a page fills (base.html's default
# title included).
OWN_BLOCKS = ("{% block title %}{{ site_name }}{% endblock %}" + SPLIT
              + "{% block content %}{% endblock %}")
SHELL = ("{% extends 'base.html' %}{% block title %}" + TITLE + "{% endblock %}"
         "{% block content %}" + CONTENT + "{% endblock %}")
_PIECES = re.compile(f"({TITLE}|{PATH}|{CONTENT}|{TOKEN}|{ACCOUNT}|{EMAIL})")


class NotInLayout(Exception):
    """The layout read something of the account besides its role."""


class _RoleOnly:
    """``current_user`` as the kept layout may see it: signed in, the role and what
    follows from it, a mark for the id. Anything else raises :class:`NotInLayout`."""

    is_authenticated, is_active, is_anonymous = True, True, False

    def __init__(self, role: str, reminded: bool = False) -> None:
        self.role, self.reminded = role, reminded

    @property
    def id(self) -> str:
        return ACCOUNT

    @property
    def email(self) -> str:
        if not self.reminded:  # only the reminder to verify it shows the address
            raise NotInLayout("email")
        return EMAIL

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


def _shell(app: Flask, role: str | None, reminded: bool = False) -> list[str] | None:
    """The layout for ``role`` (None: not signed in) around its marks, split: text,
    mark, text, mark...; None if it cannot be kept (see above). ``reminded``: with the
    reminder to verify the account's email (its address a mark too)."""
    from lms import select_locale
    from lms.http_cache import release

    key = (select_locale(), release(app)[0], role, reminded)
    shells = app.extensions.setdefault("lms_layout_shells", {})
    shell = shells.get(key)
    if shell is None:
        stand_in = {} if role is None else {
            "current_user": _RoleOnly(role, reminded), "csrf_token": lambda: TOKEN,
            "second_factor_pending": lambda: False, "email_reminder": reminded}
        try:
            text = render_template_string(SHELL, request_path=PATH, **stand_in)
        except NotInLayout:
            return None
        shell = _PIECES.split(text)
        marks = [TITLE, PATH, CONTENT] + ([] if role is None else [TOKEN, ACCOUNT])
        found = shell[1::2]
        # Each once (the CSRF token may be in more than one form), the address where
        # the reminder is shown.
        if (sorted(mark for mark in found if mark != TOKEN) != sorted(
                [mark for mark in marks if mark != TOKEN] + ([EMAIL] if reminded else []))
                or (role is not None and TOKEN not in found)):
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
    return context["second_factor_pending"]()


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
    page = _in_layout(app, own, context["request_path"], user, context.get("csrf_token"),
                      bool(context.get("email_reminder")))
    return render_template(template_name, **context) if page is None else page


def _in_layout(app: Flask, own: str, request_path: str, user: Any,
               token: Any = None, reminded: bool = False) -> str | None:
    """The page's own blocks (title and content, SPLIT between them) in the kept layout
    for ``user`` (``token()``: the CSRF token its forms carry, by default the template
    global's; ``reminded``: with the reminder to verify their email); None when the
    layout cannot be kept."""
    role = user.role if user.is_authenticated else None
    shell = _shell(app, role, reminded and role is not None)
    if shell is None:
        return None
    title, content = own.split(SPLIT)
    values = {TITLE: title, PATH: str(escape(request_path)), CONTENT: content}
    if role is not None:
        token = token or app.jinja_env.globals["csrf_token"]
        values.update({TOKEN: str(escape(token())), ACCOUNT: str(escape(user.id)),
                       EMAIL: str(escape(user.email)) if reminded else ""})
    return "".join(values.get(piece, piece) if n % 2 else piece
                   for n, piece in enumerate(shell))


# --- a page's own blocks kept, with slots -------------------------------------------------

_SLOT = re.compile(f"lms-slot-([a-z_]+)-{_MARK}")
_FILLED = re.compile(f"lms-(slot-[a-z_]+|path)-{_MARK}")  # a slot's mark, or PATH
KEPT_BLOCKS = 512  # pages' own blocks kept per process (shapes × languages)


class _KeptBlocks(BoundedLRU):
    def __init__(self) -> None:
        super().__init__(KEPT_BLOCKS, 8 * 1024 * 1024,
                         lambda pieces: sum(len(piece) for piece in pieces))


def render_with_slots(template_name: str, slots: dict[str, str], **context: Hashable) -> str:
    """``render_page(template_name, **slots, **context)`` for a page whose own blocks
    change from one request to the next only with ``slots``: text the template shows
    as it is (escaped; tested for nothing but being empty; never through a filter).

    For a visitor not signed in, the page (its own blocks in the kept layout) is
    rendered once per process for each ``context`` (small hashable values: they are the
    key, with which slots are empty, the language and the release), with a mark in each
    slot and where the address goes; a request escapes its own values into the marks.
    A template that showed a slot otherwise (filtered, or not at all) is not kept.
    Signed in, or with a flashed message: rendered as usual."""
    from lms import select_locale
    from lms.http_cache import release, showed_flashes

    user = current_user._get_current_object()
    if user.is_authenticated or showed_flashes():
        return render_page(template_name, **slots, **context)
    app = current_app._get_current_object()
    key = (template_name, tuple(sorted(context.items())),
           tuple(sorted((name, bool(value)) for name, value in slots.items())),
           select_locale(), release(app)[0])
    kept = per_app(app, "lms_kept_blocks", _KeptBlocks)
    pieces = kept.get(key)
    if pieces is None:
        pieces = _page_with_slots(app, template_name, slots, context)
        if pieces is None:
            return render_page(template_name, **slots, **context)
        kept.put(key, pieces)
    values = {f"slot-{name}": str(escape(value)) for name, value in slots.items()}
    values["path"] = str(escape(request.full_path.rstrip("?")))
    return "".join(values[piece] if n % 2 else piece for n, piece in enumerate(pieces))


def _page_with_slots(app: Flask, template_name: str, slots: dict[str, str],
                     context: dict[str, Hashable]) -> tuple[str, ...] | None:
    """The whole page for a visitor not signed in, split: text, then what goes there
    ("slot-<name>", or "path" for the address), then text...; None when it cannot be
    kept that way."""
    marks = {name: f"lms-slot-{name}-{_MARK}" if value else value
             for name, value in slots.items()}
    values = dict(context, **marks)
    app.update_template_context(values)
    own = _overlay(app).get_or_select_template(template_name).render(values)
    shown = {name for name, value in slots.items() if value}
    if own.count(SPLIT) != 1 or set(_SLOT.findall(own)) != shown:
        return None
    shell = _shell(app, None)
    if shell is None:
        return None
    title, content = own.split(SPLIT)
    page = "".join({TITLE: title, CONTENT: content}.get(piece, piece) if n % 2 else piece
                   for n, piece in enumerate(shell))
    return tuple(_FILLED.split(page))
