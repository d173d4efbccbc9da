"""What a reader reports: errors (nothing is written), unsupported questions
(listed; skipped only with ``--skip-unsupported``) and notes (written anyway).

Messages are Vietnamese templates marked for translation (``pybabel extract -k
mark``) and translated when printed, in the reader's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext

from lms.util.i18n import mark

QUESTION_LABEL = mark("câu '%(name)s'")


@dataclass(frozen=True)
class BankProblem:
    file: str
    line: int
    template: str
    params: dict[str, Any] = field(default_factory=dict)
    question: str | None = None  # the question's title or the start of its text

    @property
    def message(self) -> str:
        # Always formatted, so that "%%" reads "%" with or without parameters.
        return gettext(self.template) % self.params

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}: "
        if self.question:
            where += gettext(QUESTION_LABEL, name=self.question) + ": "
        return where + self.message


class BankError(Exception):
    """A file that cannot be imported at all; carries its problems."""

    def __init__(self, problems: list[BankProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def short_name(text: str, limit: int = 40) -> str:
    """A question's name for messages when it has no title: its first words."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
