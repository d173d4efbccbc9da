"""Which classroom records count, and what a scan attached as evidence may be.

A classroom record (``ExternalTraining``) is *declared* by a unit's HR at every import,
then *verified* or *rejected* by the province (lms/review). Verified records always
count, rejected ones never; declared ones count while ``LMS_COUNT_DECLARED_TRAINING``
is on (the default). The indicator, the untrained lists and the status pages all ask
:func:`counted_statuses`, so they agree.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from flask_babel import gettext as _

# The kinds of scan accepted, decided by the first bytes, never by the file's name.
EVIDENCE_KINDS = (
    (b"%PDF-", "application/pdf", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
)


def declared_counts() -> bool:
    if not has_app_context():
        return True
    return bool(current_app.config.get("LMS_COUNT_DECLARED_TRAINING", True))


def counted_statuses() -> tuple[str, ...]:
    """The statuses of classroom records that count as a completion now."""
    return ("declared", "verified") if declared_counts() else ("verified",)


class EvidenceError(ValueError):
    """The file cannot be kept as evidence; the message says why, for the HR officer."""


def evidence_limit() -> int:
    return int(current_app.config.get("LMS_EVIDENCE_MAX_BYTES", 10 * 1024 * 1024))


def check_evidence(data: bytes) -> tuple[str, str]:
    """(mimetype, extension) of an acceptable scan, or :class:`EvidenceError`.

    The content decides: a PDF starts with ``%PDF-``, a PNG and a JPEG with their
    signatures. Anything else (HTML, SVG, an office document, an executable renamed
    .pdf) is refused, so what is served back is only ever one of these three kinds.
    """
    limit = evidence_limit()
    if not data:
        raise EvidenceError(_("Tệp trống."))
    if len(data) > limit:
        raise EvidenceError(_("Tệp lớn %(size)s MB, quá giới hạn %(limit)s MB. Hãy quét với độ "
                              "phân giải thấp hơn hoặc chia thành nhiều trang.",
                              size=f"{len(data) / 1048576:.1f}", limit=f"{limit / 1048576:g}"))
    for magic, mimetype, extension in EVIDENCE_KINDS:
        if data.startswith(magic):
            return mimetype, extension
    raise EvidenceError(_("Chỉ nhận bản quét dạng PDF, PNG hoặc JPEG (nội dung tệp này không "
                          "phải các dạng đó)."))
