"""Queueing many messages at once: each distinct message is rendered once.

A reminder run queues one message per official and course, and most of them differ
only in the greeting and the unsubscribe link. Rendering every one through Jinja costs
about a millisecond; a province-wide run queues 150,000. So a :class:`BulkQueue`
renders a message once per *variant* (the template and everything shared: the course,
the event, the date) with placeholders in place of the personal fields, then writes
each person's values into that text (HTML-escaped in the HTML part, exactly as the
template would have). Rows are inserted a thousand at a time with the same
``ON CONFLICT (key) DO NOTHING`` as :func:`lms.mail.logic.queue`, so a key queued
by an earlier or a concurrent run is skipped, never duplicated.

A template that transforms a personal field (``name|upper``) would not show the
placeholder verbatim; that is detected and such a variant is rendered per message.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping
from datetime import datetime
from typing import Any

from markupsafe import escape

from lms.extensions import db
from lms.mail.logic import (
    INSERT_MANY_IGNORING_DUPLICATES,
    KEY_MAX,
    NAME_MAX,
    SUBJECT_MAX,
    Rendered,
    check_headers,
    normalise_address,
    render,
)
from lms.mail.smtp import one_line
from lms.util.time import utcnow

BATCH = 1000


def _placeholder(field: str) -> str:
    # NUL cannot come from a template's own text, a translation or a course title.
    return f"\x00{field}\x00"


class BulkQueue:
    """Collects messages and inserts them in batches; call :meth:`flush` at the end.

    ``queued`` counts the rows actually inserted (keys already in the outbox do not
    count). Like :func:`lms.mail.logic.queue` this only flushes: the caller commits.
    ``on_flush`` is called after each batch is inserted: a command that queues many
    passes its commit, so that on SQLite the write lock is held for one batch, not
    for the whole run (each row's key makes a batch safe to commit on its own).
    """

    def __init__(self, *, locale: str | None = None, batch: int = BATCH,
                 on_flush: Callable[[], None] | None = None) -> None:
        self.locale = locale
        self.batch = batch
        self.on_flush = on_flush
        self.queued = 0
        self.rendered_variants = 0
        self._variants: dict[Hashable, Rendered | None] = {}
        self._rows: list[dict[str, Any]] = []
        self._now: datetime = utcnow()

    def add(self, key: str, to: str, template: str, *, variant: Hashable, name: str | None,
            personal: Mapping[str, str] | None = None, headers: dict[str, str] | None = None,
            **shared: Any) -> None:
        """One message. ``shared`` is the context common to every message of
        ``variant`` (the caller promises that); ``name`` and ``personal`` are this
        person's own values, plain text."""
        if not key or len(key) > KEY_MAX:
            raise ValueError(f"an outbox key has 1 to {KEY_MAX} characters: {key!r}")
        address = normalise_address(to)
        extra = check_headers(headers)
        name = one_line(name)
        fields = {"name": name, **(personal or {})}
        cache_key = (template, variant, tuple(sorted(fields)))
        if cache_key not in self._variants:
            self._variants[cache_key] = self._render_variant(template, fields, shared)
        rendered = self._variants[cache_key]
        if rendered is None:  # the template transforms a personal field: render it all
            rendered = render(template, self.locale, **shared, **fields)
        else:
            text, html = rendered.text, rendered.html
            for field, value in fields.items():
                mark = _placeholder(field)
                text = text.replace(mark, value)
                html = html.replace(mark, str(escape(value)))
            rendered = Rendered(rendered.subject, text, html)
        self._rows.append({
            "key": key, "to_address": address, "to_name": name[:NAME_MAX],
            "subject": rendered.subject[:SUBJECT_MAX], "text_body": rendered.text,
            "html_body": rendered.html, "headers": json.dumps(extra, ensure_ascii=False),
            "created_at": self._now, "send_after": self._now, "attempts": 0})
        if len(self._rows) >= self.batch:
            self.flush()

    def _render_variant(self, template: str, fields: Mapping[str, str],
                        shared: Mapping[str, Any]) -> Rendered | None:
        self.rendered_variants += 1
        marks = {field: _placeholder(field) for field in fields}
        rendered = render(template, self.locale, **shared, **marks)
        if any(mark in rendered.subject for mark in marks.values()):
            return None  # a personal subject: nothing to share
        for mark in marks.values():
            if mark not in rendered.text and mark not in rendered.html:
                return None  # transformed or dropped: not safe to substitute
        return rendered

    def flush(self) -> None:
        if not self._rows:
            return
        # executemany: the driver reports the rows inserted across the batch.
        result = db.session.execute(INSERT_MANY_IGNORING_DUPLICATES, self._rows)
        self.queued += max(result.rowcount, 0)
        self._rows = []
        if self.on_flush is not None:
            self.on_flush()

