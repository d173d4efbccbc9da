"""HTTP caching: revalidation of anonymous learner pages, fingerprinted static files.

Anonymous pages (home, catalogue, course, lesson) carry an ``ETag`` and a
``Last-Modified`` and answer ``304 Not Modified`` to a browser that already holds
the same page, without querying the lessons or rendering the template. The ETag
covers everything the page is made of:

- the data shown: the catalogue's version (``courses sync`` stamps every course it
  changes; lms/courses/logic.catalogue_version, asked of the database at most once
  every LMS_CONTENT_CHECK_SECONDS per process);
- the release: a digest of the code, templates, translations and static files, and
  the settings printed on pages;
- the language (chosen in the session; hence ``Vary: Cookie``);
- for a page holding a form, the session's CSRF token and the half of
  WTF_CSRF_TIME_LIMIT we are in, so that a revalidated page never holds a token
  older than the limit or from another session.

The learner pages hold no form: the header's language switch posts without a token
(lms/main/views.set_language). So a kept page is the same for everyone: it is sent as
it was kept, without reading the session's token or setting a cookie.
``Cache-Control: private, no-cache`` (store it, but ask before each use). Signed-in
pages never get a validator and keep ``no-store`` (lms/headers.py); nor does a page
showing a flashed message.

A page that has to be sent is rendered once and kept (per process, a bounded LRU)
under the same data, release and language, with a placeholder where a CSRF token
goes; a page with one gets each request's own token put in. Whatever an anonymous
page shows must therefore come from what its key holds: the URL, the language, the
release and the ``parts`` its view passes.

A signed-in learner's pages (my courses, an open quiz, and their own copies of the
pages above) are kept too, per process, under that learner's data version and the
version of everything else they read (lms/learning/versions.py), with the placeholder
for the CSRF token: see :func:`kept_learner_page`. They are never revalidated nor
stored by the browser (``no-store``).

Static files: ``url_for('static', filename=...)`` adds ``?v=<content hash>``; a
request whose ``v`` is the file's current hash is cached for a year, ``immutable``;
any other request for a static file gets a short cache.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, Response, current_app, g, make_response, request, session
from flask.globals import request_ctx
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from werkzeug.security import safe_join

from lms.config import PROJECT_ROOT
from lms.util.lru import BoundedLRU, per_app

STATIC_IMMUTABLE_MAX_AGE = 365 * 24 * 3600  # a year: the URL changes with the content
STATIC_SHORT_MAX_AGE = 300  # an unfingerprinted (or outdated) static URL
# What a page is made of besides the database: changing any of these is a new release.
RELEASE_SOURCES = (("lms", "*.py"), ("lms/translations", "*.mo"), ("templates", "*"),
                   ("static", "*"))
# Rendered anonymous pages kept per process (least recently used dropped first).
PAGE_CACHE_ENTRIES = 256
PAGE_CACHE_BYTES = 16 * 1024 * 1024
# Stands for the CSRF token in a kept page; random, so no content can contain it.
CSRF_PLACEHOLDER = f"csrf-{secrets.token_hex(16)}"
# A signed-in learner's pages kept per process (lms.http_cache.kept_learner_page).
LEARNER_PAGE_ENTRIES = 1024
LEARNER_PAGE_BYTES = 16 * 1024 * 1024
RELEASE_SETTINGS = ("LMS_SITE_NAME", "LMS_ISSUING_BODY", "LMS_LANGUAGES",
                    "BABEL_DEFAULT_LOCALE", "LMS_PRIVACY_NOTICE_VERSION")


# --- the release ------------------------------------------------------------------------

def _release_files() -> list[Path]:
    return [path for folder, pattern in RELEASE_SOURCES
            for path in sorted((PROJECT_ROOT / folder).rglob(pattern)) if path.is_file()]


def _scan_files(files: list[Path]) -> tuple[str, datetime]:
    digest = hashlib.sha256()
    for path in files:
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode())
        digest.update(path.read_bytes())
    newest = max((path.stat().st_mtime for path in files), default=0.0)
    return digest.hexdigest(), datetime.fromtimestamp(int(newest), UTC)


_files_release: dict[str, Any] = {}  # per process: every app serves the same files


def release(app: Flask | None = None) -> tuple[str, datetime]:
    """(digest, newest file time) of this release and the app's settings shown on
    pages. The files are read once per process; in development, where templates and
    static files are edited live, again whenever one's size or time changes."""
    app = app or current_app._get_current_object()
    if app.debug or not _files_release:
        files = _release_files()
        signature = hash(tuple((str(f), f.stat().st_mtime_ns, f.stat().st_size) for f in files))
        if _files_release.get("signature") != signature:
            _files_release.update(signature=signature, value=_scan_files(files))
    cached = app.extensions.get("lms_release")
    if cached is None or cached[0] != _files_release["signature"]:
        files_digest, newest = _files_release["value"]
        digest = hashlib.sha256(files_digest.encode())
        for name in RELEASE_SETTINGS:
            digest.update(f"{name}={app.config.get(name)!r}".encode())
        cached = app.extensions["lms_release"] = (_files_release["signature"],
                                                  (digest.hexdigest()[:16], newest))
    return cached[1]


# --- anonymous pages --------------------------------------------------------------------

def _cacheable() -> bool:
    """Whether this response may be revalidated: a GET from someone not signed in,
    with no flashed message waiting to be shown."""
    return (request.method in ("GET", "HEAD") and not current_user.is_authenticated
            and "_flashes" not in session)


def _csrf_part() -> tuple[str, datetime | None] | None:
    """The session's CSRF token with the half of its lifetime we are in, and when that
    half began; None when CSRF protection is on but the session has no token yet
    (then there is nothing to revalidate)."""
    config = current_app.config
    if not config.get("WTF_CSRF_ENABLED", True):
        return "", None
    token = session.get(config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if not token:
        return None
    limit = config.get("WTF_CSRF_TIME_LIMIT")
    if not limit:
        return token, None
    half = max(1, int(limit) // 2)
    period = int(time.time() // half)
    return f"{token}:{period}", datetime.fromtimestamp(period * half, UTC)


def _validators(parts: tuple[Any, ...], modified: datetime | None,
                csrf: tuple[str, datetime | None]) -> tuple[str, datetime]:
    from lms import select_locale

    digest, released = release()
    text = "\x1f".join(map(str, (digest, select_locale(), request.endpoint, csrf[0], *parts)))
    etag = hashlib.sha256(text.encode()).hexdigest()[:32]
    # Newest of: the data, the release, and the start of the token's period (so that
    # If-Modified-Since alone never revalidates a page whose token is past its limit).
    stamps = [released, *(s for s in (modified, csrf[1]) if s is not None)]
    last = max(s if s.tzinfo else s.replace(tzinfo=UTC) for s in stamps)
    return etag, last.replace(microsecond=0)


def _not_modified(etag: str, last_modified: datetime) -> bool:
    """RFC 9110 §13.2.2: If-None-Match when sent (weak comparison), else
    If-Modified-Since."""
    if request.if_none_match:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    return since is not None and last_modified <= since


def _stamp(response: Response, etag: str, last_modified: datetime) -> Response:
    response.set_etag(etag, weak=True)  # weak: each rendering signs its token anew
    response.last_modified = last_modified
    response.cache_control.private = True
    response.cache_control.no_cache = True
    response.vary.add("Cookie")
    return response


class PageCache(BoundedLRU):
    """Rendered pages by key, at most ``entries`` of them and ``size`` characters."""

    def __init__(self, entries: int = PAGE_CACHE_ENTRIES, size: int = PAGE_CACHE_BYTES):
        super().__init__(entries, size, len, largest_share=8)
        # A kept page's body, headers and validators once sent (lms.http_cache._send_kept).
        self.prepared: dict[tuple, tuple] = {}

    @property
    def pages(self):
        return self.items

    def on_drop(self, key) -> None:
        self.prepared.pop(key, None)


def page_cache(app: Flask | None = None) -> PageCache:
    app = app or current_app._get_current_object()
    return per_app(app, "lms_page_cache", PageCache)


# A session's signed CSRF token is reused for this long by the process that signed it
# (signing derives a key and an HMAC: ~50 µs of a kept signed-in page's ~0.7 ms). The
# token's age is checked against WTF_CSRF_TIME_LIMIT from when it was signed, so a
# form lives at most this much less than the limit.
CSRF_REUSE_SECONDS = 60
CSRF_TOKENS_KEPT = 4096


class _SignedTokens(BoundedLRU):
    def __init__(self) -> None:
        super().__init__(CSRF_TOKENS_KEPT, CSRF_TOKENS_KEPT, lambda _value: 1)


def _signed_tokens() -> tuple[str, str | None, _SignedTokens]:
    """(the CSRF field's name, this session's raw token if any, the signed tokens)."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    raw = session.get(field)
    tokens = per_app(current_app._get_current_object(), "lms_csrf_tokens", _SignedTokens)
    return field, raw if isinstance(raw, str) else None, tokens


def reuse_signed_token() -> None:
    """Before a request: this session's token as this process signed it less than
    CSRF_REUSE_SECONDS ago, where Flask-WTF's ``generate_csrf`` finds it (``g``), so
    no page or form of the request signs it again."""
    if request.endpoint == "static":
        return
    field, raw, tokens = _signed_tokens()
    if raw is None or field in g:
        return
    kept = tokens.get(raw)
    if kept is not None and time.monotonic() - kept[1] < CSRF_REUSE_SECONDS:
        setattr(g, field, kept[0])
        g.lms_reused_token = kept[0]


def keep_signed_token(response: Response) -> Response:
    """After a request: a token signed during it is the one to reuse."""
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if not token or token is g.get("lms_reused_token") or request.endpoint == "static":
        return response
    _field, raw, tokens = _signed_tokens()
    if raw is not None:
        tokens.put(raw, (token, time.monotonic()))
    return response


def csrf_placeholder_context() -> dict[str, Any]:
    """While a page is rendered to be kept, templates write the placeholder for the
    token (a context value hides the csrf_token() global)."""
    if g.get("lms_csrf_placeholder"):
        return {"csrf_token": lambda: CSRF_PLACEHOLDER}
    return {}


def _render_with_placeholder(render: Callable[[], Any]) -> tuple[Response, str | None, bool]:
    """``render()`` with the placeholder where the template global writes the CSRF
    token: (the response, carrying this request's token; the page's text with the
    placeholder, None if not HTML; whether it may be kept: a 200 page with no flashed
    message and no token written otherwise, as a form's hidden_tag() writes this
    session's own)."""
    g.lms_csrf_placeholder = True
    try:
        response = make_response(render())
    finally:
        g.pop("lms_csrf_placeholder", None)
    if response.is_streamed or response.mimetype != "text/html":
        return response, None, False
    page = response.get_data(as_text=True)
    real_token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    if CSRF_PLACEHOLDER in page:
        response.set_data(page.replace(CSRF_PLACEHOLDER, generate_csrf()))
    keepable = (response.status_code == 200 and not showed_flashes()
                and not (real_token and real_token in page))
    return response, page, keepable


def _render_to_keep(key: tuple, render: Callable[[], Any]) -> tuple[Response, bool]:
    """``render()``, kept when it may be; the flag says whether the page holds a token
    (is personal to a session)."""
    response, page, keepable = _render_with_placeholder(render)
    if keepable:
        page_cache().put(key, page)
    return response, page is None or CSRF_PLACEHOLDER in page


def showed_flashes() -> bool:
    """Whether this response holds (or the session still waits to show) a flashed
    message: such a page is shown once, never kept."""
    return "_flashes" in session or bool(getattr(request_ctx, "flashes", None))


def _send_kept(key: tuple, page: str, parts: tuple[Any, ...],
               modified: datetime | None) -> Response:
    """A kept page the same for every visitor, or 304: its body and validators are
    worked out once, when it is first sent."""
    prepared = page_cache().prepared.get(key)
    if prepared is None:
        etag, last_modified = _validators(parts, modified, ("", None))
        stamped = _stamp(Response(page, mimetype="text/html"), etag, last_modified)
        prepared = (stamped.get_data(), list(stamped.headers.items()), etag, last_modified)
        page_cache().prepared[key] = prepared
    body, headers, etag, last_modified = prepared
    if _not_modified(etag, last_modified):
        return _stamp(Response(status=304), etag, last_modified)
    return Response(body, headers=headers)


def anonymous_page(version: Callable[[], tuple[Iterable[Any], datetime | None]],
                   render: Callable[[], Any]) -> Response:
    """``render()``'s response, a kept copy of it, or 304 when the browser's copy is
    current.

    ``version()`` gives ``(parts, modified)``: what identifies the data the page shows
    (e.g. the catalogue's version) and when that data last changed; it is asked only
    for a page that may be kept. A signed-in user's copy is theirs: kept per learner
    (:func:`kept_learner_page`), never revalidated.

    A kept page with no form of its own (the header's language switch needs no token)
    is the same for every visitor: it is sent as it was kept, touching neither the
    session nor the database. One with a form gets this session's CSRF token.
    """
    if current_user.is_authenticated and request.method == "GET":
        return kept_learner_page() or keep_learner_page(render)
    if not _cacheable():
        return make_response(render())
    from lms import select_locale

    parts, modified = version()
    parts = tuple(parts)
    key = (request.endpoint, request.full_path, select_locale(), release()[0], parts)
    page = page_cache().get(key)
    if page is not None and CSRF_PLACEHOLDER not in page:
        return _send_kept(key, page, parts, modified)
    csrf = _csrf_part()
    if page is not None and csrf is not None:
        etag, last_modified = _validators(parts, modified, csrf)
        if _not_modified(etag, last_modified):
            return _stamp(Response(status=304), etag, last_modified)
    if page is None:
        response, personal = _render_to_keep(key, render)
    else:
        response = Response(page.replace(CSRF_PLACEHOLDER, generate_csrf()),
                            mimetype="text/html")
        personal = True
    if response.status_code != 200 or not _cacheable():
        return response
    # This request may have started the session's CSRF token: the ETag includes it.
    csrf = _csrf_part() if personal else ("", None)
    if csrf is None:
        return response
    etag, last_modified = _validators(parts, modified, csrf)
    return _stamp(response, etag, last_modified)


# --- a signed-in learner's own pages ---------------------------------------------------

class LearnerPageCache(BoundedLRU):
    """Signed-in learners' pages by key, each as the bytes around its CSRF tokens."""

    def __init__(self, entries: int = LEARNER_PAGE_ENTRIES, size: int = LEARNER_PAGE_BYTES):
        super().__init__(entries, size, lambda parts: sum(map(len, parts)), largest_share=8)


def learner_cache(app: Flask | None = None) -> LearnerPageCache:
    app = app or current_app._get_current_object()
    return per_app(app, "lms_learner_page_cache", LearnerPageCache)


_HTML = "text/html; charset=utf-8"
_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()


def _learner_key() -> tuple | None:
    """What a signed-in learner's page is kept under; None when it may not be kept."""
    from lms import select_locale
    from lms.learning.versions import learners_version
    from lms.util.time import local_today

    if (request.method != "GET" or not current_user.is_authenticated
            or "_flashes" in session):
        return None
    shared = learners_version()
    if shared is None:
        return None
    user = current_user._get_current_object()
    return (request.endpoint, request.full_path, user.id, user.data_version, shared,
            select_locale(), release()[0], local_today())


def kept_learner_page() -> Response | None:
    """The signed-in learner's kept copy of this page, with this request's CSRF token,
    or None (then the view renders it, and :func:`keep_learner_page` may keep it).

    A copy is used only under the same learner, the same version of their own rows
    (``users.data_version``, read with their account on every request), the same
    version of everything else (the ``learners`` data version), language, release and
    day. The view calls this first and keeps a page only in a state that nothing but
    those can change (e.g. an open quiz without a time limit, not a countdown)."""
    key = _learner_key()
    # What the request wrote from here on (lms.learning.versions.note_request_write).
    g.lms_learner_key, g.lms_learner_wrote = key, False
    if key is None:
        return None
    parts = learner_cache().get(key)
    if parts is None:
        return None
    body = generate_csrf().encode().join(parts) if len(parts) > 1 else parts[0]
    return Response(body, content_type=_HTML)


def keep_learner_page(render: Callable[[], Any]) -> Response:
    """``render()``'s response, kept under the key :func:`kept_learner_page` worked out
    when the request began, unless the request wrote anything a learner page reads
    (then the page shows data newer than its key), showed a flashed message, or the
    page holds a token other than the template global's."""
    key = g.get("lms_learner_key")
    if key is None:
        return make_response(render())
    response, page, keepable = _render_with_placeholder(render)
    if keepable and not g.get("lms_learner_wrote"):
        learner_cache().put(key, tuple(page.encode().split(_PLACEHOLDER_BYTES)))
    return response


# --- static files -----------------------------------------------------------------------

def static_fingerprint(app: Flask, filename: str) -> str | None:
    """The first 12 hex digits of the SHA-256 of a static file, or None when there is
    no such file. Cached per file and recomputed when its size or time changes."""
    path = safe_join(app.static_folder, filename) if app.static_folder else None
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    cache: dict[str, tuple[int, int, str]] = app.extensions.setdefault("lms_static_hashes", {})
    known = cache.get(path)
    if known is not None and known[:2] == (stat.st_mtime_ns, stat.st_size):
        return known[2]
    try:
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    except OSError:  # a folder, or unreadable
        return None
    cache[path] = (stat.st_mtime_ns, stat.st_size, digest)
    return digest


def register_http_caching(app: Flask) -> None:
    app.context_processor(csrf_placeholder_context)
    app.before_request(reuse_signed_token)
    app.after_request(keep_signed_token)

    @app.url_defaults
    def fingerprint_static_urls(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            fingerprint = static_fingerprint(app, values["filename"])
            if fingerprint:
                values["v"] = fingerprint

    @app.after_request
    def cache_static_files(response: Response) -> Response:
        if request.endpoint != "static" or response.status_code not in (200, 206, 304):
            return response
        cache_control = response.cache_control
        cache_control.no_cache = None
        cache_control.public = True
        version = request.args.get("v")
        filename = (request.view_args or {}).get("filename", "")
        if version and version == static_fingerprint(app, filename):
            cache_control.max_age = STATIC_IMMUTABLE_MAX_AGE
            cache_control.immutable = True
        else:
            cache_control.max_age = STATIC_SHORT_MAX_AGE
        return response
