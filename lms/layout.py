"""The site's layout kept for anonymous visitors (issue 12: certificate verification).

Rendering templates/base.html (header, menus, the offline script's messages, footer)
costs four times what a small page's own block does. For a visitor who is not signed
in and has no flashed message waiting, the layout is the same on every page but for
three things: the page's title, its content, and the address the language switch
returns to. So :func:`render_page` renders only the page's own blocks, through an
overlay of the template environment in which ``base.html`` is just those blocks, and
puts them into the layout rendered once per process, language and release (the
release covers the templates and the settings printed on pages).

A template that does not extend base.html is rendered whole by the same call; a
signed-in user, or a pending flashed message, gets Flask's ``render_template``.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask import Flask, current_app, render_template, render_template_string, session
from flask.globals import request_ctx
from flask.signals import before_render_template, template_rendered
from flask_login import current_user
from jinja2 import ChoiceLoader, DictLoader, Environment
from markupsafe import escape

_MARK = secrets.token_hex(12)  # random: no page can contain it
TITLE, PATH, CONTENT, SPLIT = (f"lms-{name}-{_MARK}" for name in ("title", "path", "content",
                                                                   "split"))
# base.html as the overlay sees it: only the blocks a page fills (base.html's default
# title included).
OWN_BLOCKS = ("{% block title %}{{ site_name }}{% endblock %}" + SPLIT
              + "{% block content %}{% endblock %}")
SHELL = ("{% extends 'base.html' %}{% block title %}" + TITLE + "{% endblock %}"
         "{% block content %}" + CONTENT + "{% endblock %}")
_PIECES = re.compile(f"({TITLE}|{PATH}|{CONTENT})")


def _overlay(app: Flask) -> Environment:
    overlay = app.extensions.get("lms_layout_overlay")
    if overlay is None:
        overlay = app.jinja_env.overlay(loader=ChoiceLoader([
            DictLoader({"base.html": OWN_BLOCKS}), app.jinja_env.loader]))
        app.extensions["lms_layout_overlay"] = overlay
    return overlay


def _flashes_pending() -> bool:
    return "_flashes" in session or bool(getattr(request_ctx, "flashes", None))


def _shell(app: Flask) -> list[str] | None:
    """The layout around the three marks, split: text, mark, text, mark...; None if
    it does not hold each mark once."""
    from lms import select_locale
    from lms.http_cache import release

    key = (select_locale(), release(app)[0])
    shells = app.extensions.setdefault("lms_layout_shells", {})
    shell = shells.get(key)
    if shell is None:
        shell = _PIECES.split(render_template_string(SHELL, request_path=PATH))
        if sorted(shell[1::2]) != sorted((TITLE, PATH, CONTENT)):
            return None
        shells[key] = shell
    return shell


def render_page(template_name: str, **context: Any) -> str:
    """``render_template(template_name, **context)``, the layout kept (see above)."""
    if current_user.is_authenticated or _flashes_pending():
        return render_template(template_name, **context)
    app = current_app._get_current_object()
    template = _overlay(app).get_or_select_template(template_name)
    app.update_template_context(context)
    before_render_template.send(app, _async_wrapper=app.ensure_sync, template=template,
                                context=context)
    own = template.render(context)
    template_rendered.send(app, _async_wrapper=app.ensure_sync, template=template,
                           context=context)
    if own.count(SPLIT) != 1:
        return own  # not a page of base.html
    shell = _shell(app)
    if shell is None:
        return render_template(template_name, **context)
    title, content = own.split(SPLIT)
    values = {TITLE: title, PATH: str(escape(context["request_path"])), CONTENT: content}
    return "".join(values.get(piece, piece) if n % 2 else piece
                   for n, piece in enumerate(shell))
