"""What every question type has in common: the base class, where a question is
written (for ``file:line`` problems), and refused answers. See the package
docstring for the interface."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from random import Random
from typing import Any, ClassVar

from lms.courses.problems import Problem
from lms.util.i18n import mark


class UnknownQuestionType(LookupError):
    """A question whose type no module handles: never graded (a wrong grade would be
    silent); `courses check` reports the type before any attempt can hold it."""


class AnswersRejected(ValueError):
    """The submitted answers hold more than the attempt's questions allow.

    ``message`` is marked for translation and formatted with ``params`` when shown.
    """

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params)
        self.message = message
        self.params = params


SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")  # ids and tags: lowercase a-z, 0-9, -
ONE_ANSWER = mark("Câu %(number)d chỉ nhận một câu trả lời.")
TOO_LONG = mark("Câu %(number)d: câu trả lời dài %(length)d ký tự, quá mức %(limit)d ký tự.")


class Where:
    """Where a question is written, so that its problems read ``file:line: message``.

    ``line`` is either the question's line (a reader that knows nothing finer, such as
    a bank importer) or a function from a key path inside the question, such as
    ``("choices", 2)``, to its line (the course loader, from the YAML marks).
    """

    def __init__(self, file: Path | str, line: Callable[..., int] | int = 1) -> None:
        self.file = Path(file)
        self._line = line

    def line(self, *path: Any) -> int:
        return self._line(*path) if callable(self._line) else self._line

    def problem(self, message: str, *path: Any) -> Problem:
        return Problem(self.file, self.line(*path), message)


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """A YAML number (int or finite float), not a bool."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return value == value and value not in (float("inf"), float("-inf"))


def is_text(value: Any) -> bool:
    """A YAML scalar that reads as text: strings and numbers, not booleans or nulls
    (``yes`` unquoted is a boolean)."""
    return not isinstance(value, bool) and isinstance(value, str | int | float)


def field_name(question: dict[str, Any]) -> str:
    """The form field of a question's answer (a type may add ``.N`` for its parts)."""
    return f"q-{question['id']}"


def choice_index(value: Any, choices: int) -> int | None:
    """``value`` as the index of one of ``choices`` choices, or None."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    index = int(value) if len(value) <= 4 else choices
    return index if index < choices else None


def one_value(form: Any, name: str, number: int) -> str | None:
    """The single value a field may hold (None when absent); two values are refused."""
    values = form.getlist(name)
    if len(values) > 1:
        raise AnswersRejected(ONE_ANSWER, number=number)
    return values[0] if values and isinstance(values[0], str) else None


def bounded_text(value: str | None, limit: int, number: int) -> str | None:
    if value is not None and len(value) > limit:
        raise AnswersRejected(TOO_LONG, number=number, length=len(value), limit=limit)
    return value


class QuestionType:
    """One kind of question. Subclasses set the class attributes and implement the
    methods; an instance is registered in ``REGISTRY`` under ``name``."""

    name: ClassVar[str]
    # The quiz.yml keys of this type, besides the common ones (id, type, text, tags,
    # explanation).
    keys: ClassVar[tuple[str, ...]] = ()
    # Keys whose value, when it equals this default, quiz.yml leaves out.
    defaults: ClassVar[dict[str, Any]] = {}
    # The include that renders it on the quiz page (templates/learning/questions/).
    template: ClassVar[str]

    def validate(self, question: dict[str, Any], where: Where) -> list[Problem]:
        """Problems with the type's own keys, each at its line."""
        raise NotImplementedError

    def canonical(self, question: dict[str, Any]) -> dict[str, Any]:
        """The type's own keys, normalised, defaults left out (called only when
        :meth:`validate` found nothing). This is what quiz.yml means and what the
        course row stores."""
        raise NotImplementedError

    def to_yaml(self, question: dict[str, Any]) -> dict[str, Any]:
        """The type's own keys of a canonical question as quiz.yml writes them."""
        return {key: question[key] for key in self.keys
                if key in question and question[key] != self.defaults.get(key, ...)}

    def snapshot(self, question: dict[str, Any], rng: Random, shuffle: bool) -> dict[str, Any]:
        """The question as one attempt shows it and stores it (a copy, which may hold
        this attempt's order of choices)."""
        return dict(question)

    def context(self, question: dict[str, Any]) -> dict[str, Any]:
        """What the type's template needs beyond the snapshot (``q``) and ``name``."""
        return {}

    def parse(self, form: Any, question: dict[str, Any], number: int) -> Any:
        """The response to ``question`` (the ``number``-th of its attempt) read from a
        form MultiDict: JSON-able and bounded. Raises :class:`AnswersRejected` when the
        form holds more than a browser showing the question can send."""
        raise NotImplementedError

    def grade(self, question: dict[str, Any], response: Any) -> float:
        """The share of the question's mark that ``response`` earns: 1.0 right, 0.0
        wrong, in between for partial credit where the question allows it."""
        raise NotImplementedError

    def right_response(self, question: dict[str, Any]) -> Any:
        """A response (as :meth:`parse` returns) that earns the whole mark."""
        raise NotImplementedError

    # What the result page says of a question: "<chosen_label>: …" and
    # "<right_label>: …" (msgids, translated when shown).
    chosen_label: ClassVar[str] = mark("Bạn chọn")
    right_label: ClassVar[str] = mark("Đáp án đúng")

    def answered(self, question: dict[str, Any], response: Any) -> bool:
        """Whether ``response`` answers the question at all (blank ones are flagged
        before submitting and on the result page)."""
        return response not in (None, "", [])

    def shown_response(self, question: dict[str, Any], response: Any) -> list[str]:
        """What the learner answered, as the result page lists it (texts of the
        choices, the typed answer); called only for an answered question."""
        raise NotImplementedError

    def shown_answer(self, question: dict[str, Any]) -> list[str]:
        """The right answer as the result page lists it."""
        raise NotImplementedError
