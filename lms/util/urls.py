"""Safe redirects: only paths on this site, never another host."""

from __future__ import annotations

from urllib.parse import urlsplit


def is_safe_next(target: str | None) -> bool:
    """True for a relative path such as ``/courses/x``; false for anything
    that could leave the site (``//evil.example``, ``https://evil.example``,
    ``/\\evil.example``, control characters)."""
    if not target or not target.startswith("/"):
        return False
    if target.startswith("//") or target.startswith("/\\"):
        return False
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc
