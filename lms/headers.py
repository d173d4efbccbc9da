"""Security headers on every response, and the name of the app server that
answered when several serve behind one proxy (``LMS_SERVER_NAME``, see deploy/).

The policy allows scripts, styles, images and fonts from this site only: no
inline script or style anywhere (templates and sanitised lessons carry none),
no framing, no plugin content, and forms post only back to this site.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_login import current_user

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class SecurityHeaders:
    """WSGI middleware adding the same headers to every response, unless the response
    has its own (a course's SVG file has its own policy). Added to the header list the
    app hands to the server: checking each header through the response object on every
    request cost more than some whole pages."""

    def __init__(self, wsgi_app, headers: list[tuple[str, str]]) -> None:
        self.wsgi_app = wsgi_app
        self.headers = tuple(headers)
        self.names = frozenset(name.lower() for name, _value in headers)

    def __call__(self, environ, start_response):
        def start_with_headers(status, headers, exc_info=None):
            own = {name.lower() for name, _value in headers} & self.names
            added = [header for header in self.headers
                     if header[0].lower() not in own] if own else self.headers
            return start_response(status, [*headers, *added], exc_info)

        return self.wsgi_app(environ, start_with_headers)


def register_security_headers(app: Flask) -> None:
    defaults = [
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        # Activation links carry a secret in the path: never send it to another site.
        ("Referrer-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if app.config["SESSION_COOKIE_SECURE"]:
        defaults.append(("Strict-Transport-Security", "max-age=31536000"))
    if app.config["LMS_SERVER_NAME"]:
        defaults.append(("X-LMS-Server", app.config["LMS_SERVER_NAME"]))  # which one answered
    app.wsgi_app = SecurityHeaders(app.wsgi_app, defaults)

    @app.after_request
    def forbid_storing_personal_pages(response: Response) -> Response:
        # Personal pages must not stay in a shared computer's cache. (is_anonymous reads
        # no column: after a commit, is_authenticated would load the account again.)
        if request.endpoint != "static" and (
                not current_user.is_anonymous or request.path.startswith(("/activate/",
                                                                          "/api/"))):
            response.headers["Cache-Control"] = "no-store"
        return response
