"""The quiz.yml question dicts the readers build and the writers read.

The keys are the question-type registry's (``lms/learning/questions``: each
module's docstring shows its own), and every bank question is checked by it
(``check_question``) and written by it (``to_yaml``) before it reaches quiz.yml:

- ``single``: ``choices`` and ``answer`` (an index);
- ``multiple``: ``choices`` and ``answer`` (a list of indexes);
- ``true_false``: ``answer`` true/false;
- ``short``: ``answer`` (accepted answers); ``ignore_case: false`` for a
  case-sensitive Moodle question;
- ``matching``: ``pairs``, a list of ``[left, right]``, and ``distractors``
  (right-side items that match nothing, from Moodle XML);
- ``numerical``: ``answer`` a number with an optional ``tolerance``, a range
  ``{min: 1, max: 2}``, or a list of numbers (sharing the tolerance) and ranges;
- ``tags``: the bank's category, so that ``draw: {tag: N}`` can pool it.

``explanation`` is left out when a bank has no feedback for a question (the quiz
then says ``explanations: optional``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from lms.courses.banks.textfmt import parse_number, yaml_number

# What a bank says about a question and replaces on re-import; everything else a
# course keeps in quiz.yml (an explanation written here for a question the bank
# leaves bare, tags when the bank has no categories, ``partial`` on a matching).
CONTENT_KEYS = {"type", "text", "choices", "pairs", "distractors", "answer", "tolerance",
                "ignore_case"}
KINDS = ("single", "multiple", "true_false", "short", "matching", "numerical")


@dataclass(frozen=True)
class Number:
    """One accepted numerical answer: ``value`` ± ``tolerance``, or ``low``..``high``."""

    value: Decimal | None = None
    tolerance: Decimal = Decimal(0)
    low: Decimal | None = None
    high: Decimal | None = None

    @property
    def is_range(self) -> bool:
        return self.value is None

    def bounds(self) -> tuple[Decimal, Decimal]:
        if self.is_range:
            return self.low, self.high  # type: ignore[return-value]
        return self.value - self.tolerance, self.value + self.tolerance  # type: ignore[operator]


def _base(kind: str, text: str, explanation: str | None) -> dict[str, Any]:
    question: dict[str, Any] = {"type": kind, "text": text}
    if explanation:
        question["explanation"] = explanation
    return question


def single(text: str, choices: list[str], right: int, explanation: str | None):
    return {**_base("single", text, explanation), "choices": choices, "answer": right}


def multiple(text: str, choices: list[str], right: list[int], explanation: str | None):
    return {**_base("multiple", text, explanation), "choices": choices, "answer": right}


def true_false(text: str, answer: bool, explanation: str | None):
    return {**_base("true_false", text, explanation), "answer": answer}


def short(text: str, answers: list[str], explanation: str | None, *, ignore_case: bool = True):
    question = {**_base("short", text, explanation), "answer": answers}
    if not ignore_case:
        question["ignore_case"] = False
    return question


def matching(text: str, pairs: list[tuple[str, str]], explanation: str | None,
             distractors: list[str] | None = None):
    question = {**_base("matching", text, explanation), "pairs": [[a, b] for a, b in pairs]}
    rights = {b for _, b in pairs}
    distractors = [d for d in dict.fromkeys(distractors or []) if d not in rights]
    if distractors:
        question["distractors"] = distractors
    return question


def numerical(text: str, answers: list[Number], explanation: str | None):
    """Numbers share quiz.yml's one ``tolerance``: when a bank gives them different
    ones, each becomes the range it accepts."""
    question = _base("numerical", text, explanation)
    tolerances = {a.tolerance for a in answers if not a.is_range}
    shared = tolerances.pop() if len(tolerances) == 1 else None
    items: list[Any] = [
        yaml_number(a.value) if not a.is_range and shared is not None  # type: ignore[arg-type]
        else _range(*a.bounds())
        for a in answers
    ]
    question["answer"] = items[0] if len(items) == 1 else items
    if shared:
        question["tolerance"] = yaml_number(shared)
    return question


def _range(low: Decimal, high: Decimal) -> dict[str, Any]:
    return {"min": yaml_number(low), "max": yaml_number(high)}


# --- reading a quiz.yml question (for the writers) ---------------------------------


def _decimal(value: Any) -> Decimal:
    number = parse_number(str(value)) if not isinstance(value, bool) else None
    if number is None:
        raise ValueError(f"not a number: {value!r}")
    return number


def numbers(question: dict[str, Any]) -> list[Number]:
    """The accepted answers of a ``numerical`` question."""
    answer = question["answer"]
    items = answer if isinstance(answer, list) else [answer]
    found = []
    for item in items:
        if isinstance(item, dict):
            found.append(Number(low=_decimal(item["min"]), high=_decimal(item["max"])))
        else:
            found.append(Number(value=_decimal(item),
                                tolerance=_decimal(question.get("tolerance", 0))))
    return found


def pairs(question: dict[str, Any]) -> list[tuple[str, str]]:
    return [(str(a), str(b)) for a, b in question["pairs"]]


def distractors(question: dict[str, Any]) -> list[str]:
    return [str(d) for d in question.get("distractors", [])]


def right_choices(question: dict[str, Any]) -> set[int]:
    answer = question["answer"]
    return set(answer) if isinstance(answer, list) else {answer}


def short_answers(question: dict[str, Any]) -> list[str]:
    answer = question["answer"]
    return [str(a) for a in (answer if isinstance(answer, list) else [answer])]


def ignores_case(question: dict[str, Any]) -> bool:
    return question.get("ignore_case", True) is not False
