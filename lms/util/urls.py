"""Safe redirects (only paths on this site) and safe download names."""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from lms.util.text import fold


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


def attachment(filename: str) -> dict[str, str]:
    """A Content-Disposition header for a download named after user data (unit codes
    come from imported files): an ASCII fallback plus the exact name (RFC 6266)."""
    fallback = re.sub(r"[^A-Za-z0-9._-]+", "-", fold(filename)).strip("-") or "download"
    return {"Content-Disposition": f"attachment; filename={fallback}; "
                                   f"filename*=UTF-8''{quote(filename, safe='')}"}
