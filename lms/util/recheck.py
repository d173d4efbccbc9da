"""Answers a process may reuse for LMS_CONTENT_CHECK_SECONDS (5 in production, 0 in
tests and development): what the catalogue's version is, what the learners' shared
data version is. Each process asks the database at most that often; a writer in the
same process forgets the answer at once (:func:`forget`)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")


def recent(name: str, ask: Callable[[], T]) -> T:
    """``ask()``'s answer, reused within LMS_CONTENT_CHECK_SECONDS of asking."""
    app = current_app._get_current_object()
    now = time.monotonic()
    known = app.extensions.get(name)
    if known is not None and now < known[0]:
        return known[1]
    answer = ask()
    seconds = app.config["LMS_CONTENT_CHECK_SECONDS"]
    if seconds > 0:
        app.extensions[name] = (now + seconds, answer)
    return answer


def forget(name: str) -> None:
    current_app.extensions.pop(name, None)
