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

    @app.after_request
    def set_headers(response: Response) -> Response:
        headers = response.headers
        # A response's own value wins (e.g. a course's SVG file has its own policy).
        present = {name.lower() for name, _value in headers}
        headers.extend([(name, value) for name, value in defaults
                        if name.lower() not in present])
        if app.config["LMS_SERVER_NAME"]:
            headers["X-LMS-Server"] = app.config["LMS_SERVER_NAME"]  # which one answered
        # Personal pages must not stay in a shared computer's cache. (is_anonymous reads
        # no column: after a commit, is_authenticated would load the account again.)
        if request.endpoint != "static" and (
                not current_user.is_anonymous or request.path.startswith(("/activate/",
                                                                          "/api/"))):
            headers["Cache-Control"] = "no-store"
        return response
