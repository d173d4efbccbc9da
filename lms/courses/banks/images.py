"""Pictures carried by a bank (Moodle XML ``<file>`` elements, base64).

A picture is saved in the course's ``images/`` under a safe name (a slug and a
known picture suffix whose bytes are what the suffix says) and at most
``MAX_IMAGE_BYTES``; anything else is refused by name. SVG is refused: it may
carry scripts, and a bank is not authored here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from pathlib import PurePosixPath

from lms.courses.banks.textfmt import slugify
from lms.util.i18n import mark

MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGES_BYTES = 50 * 1024 * 1024  # every picture of one bank together
SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".gif": "gif", ".webp": "webp"}
IMAGE_REFERENCE = re.compile(r"images/([a-z0-9][a-z0-9-]*\.(?:png|jpe?g|gif|webp))")

UNSAFE_NAME = mark("tên tệp ảnh '%(name)s' không an toàn")
NOT_A_PICTURE = mark("tệp '%(name)s' không phải ảnh được phép (%(allowed)s)")
TOO_BIG = mark("ảnh '%(name)s' lớn hơn %(limit)d MB")
BAD_CONTENT = mark("nội dung tệp '%(name)s' không phải ảnh %(kind)s")
BAD_BASE64 = mark("tệp '%(name)s' không phải base64 hợp lệ")


def sniff(data: bytes) -> str | None:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def safe_name(name: str, path: str = "/") -> tuple[str | None, str | None]:
    """(the name to save under, None) or (None, the problem's template)."""
    raw = (path or "/") + name
    if ("\\" in raw or "\x00" in raw or ".." in raw.split("/") or not name.strip()
            or name.startswith(".") or "/" in name):
        return None, UNSAFE_NAME
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in SUFFIXES:
        return None, NOT_A_PICTURE
    stem = slugify(PurePosixPath(name).stem, limit=50)
    if not stem:
        stem = "anh-" + hashlib.sha1(raw.encode()).hexdigest()[:8]
    return stem + (".jpg" if suffix == ".jpeg" else suffix), None


def decode_picture(name: str, encoded: str) -> tuple[bytes | None, str | None, dict]:
    """(bytes, None, {}) or (None, template, params)."""
    encoded = "".join(encoded.split())
    if len(encoded) * 3 // 4 > MAX_IMAGE_BYTES + 3:
        return None, TOO_BIG, {"name": name, "limit": MAX_IMAGE_BYTES // (1024 * 1024)}
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None, BAD_BASE64, {"name": name}
    if len(data) > MAX_IMAGE_BYTES:
        return None, TOO_BIG, {"name": name, "limit": MAX_IMAGE_BYTES // (1024 * 1024)}
    kind = SUFFIXES[PurePosixPath(name).suffix.lower()]
    if sniff(data) != kind:
        return None, BAD_CONTENT, {"name": name, "kind": kind.upper()}
    return data, None, {}


def with_hash(name: str, data: bytes) -> str:
    path = PurePosixPath(name)
    return f"{path.stem}-{hashlib.sha1(data).hexdigest()[:8]}{path.suffix}"
