"""A bank as read from a file: its questions, and what is wrong with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lms.courses.banks.problems import BankProblem, short_name


@dataclass
class BankQuestion:
    data: dict[str, Any]  # a quiz.yml question without its id
    line: int
    title: str | None = None
    category: str | None = None

    @property
    def name(self) -> str:
        return self.title or short_name(self.data.get("text", ""))


@dataclass
class Bank:
    file: str
    questions: list[BankQuestion] = field(default_factory=list)
    errors: list[BankProblem] = field(default_factory=list)
    unsupported: list[BankProblem] = field(default_factory=list)
    notes: list[BankProblem] = field(default_factory=list)
    # Pictures to save in the course's images/: safe file name -> bytes.
    images: dict[str, bytes] = field(default_factory=dict)

    # ``question`` is the question's name in the message (None: the file's problem).
    def error(self, line: int, question: str | None, template: str, /, **params: Any) -> None:
        self.errors.append(BankProblem(self.file, line, template, params, question))

    def unsupported_question(self, line: int, question: str | None, template: str, /,
                             **params: Any) -> None:
        self.unsupported.append(BankProblem(self.file, line, template, params, question))

    def note(self, line: int, question: str | None, template: str, /, **params: Any) -> None:
        self.notes.append(BankProblem(self.file, line, template, params, question))


def decode(bank: Bank, data: bytes) -> str | None:
    """UTF-8 (with or without a BOM) or UTF-16 with a BOM, as editors save banks."""
    from lms.util.i18n import mark

    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    else:
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            bank.error(line, None, mark("tệp không phải văn bản UTF-8 (hãy lưu lại với "
                                        "mã hóa UTF-8)"))
            return None
    bank.error(1, None, mark("tệp không phải văn bản UTF-8 (hãy lưu lại với mã hóa UTF-8)"))
    return None


def explanation(general: str, feedback: list[tuple[str | None, str]]) -> str | None:
    """quiz.yml has one explanation per question: the general feedback, then each
    answer's own feedback (``choice: feedback``) as lines after it."""
    parts = [general] if general else []
    for label, text in feedback:
        if text and text not in parts:
            parts.append(f"{label}: {text}" if label else text)
    return "\n".join(parts) or None
