"""Question types: one module per type, found by name in ``REGISTRY``.

Adding a type is adding a module here (a :class:`~.base.QuestionType` subclass), an
entry in ``REGISTRY`` and its template in ``templates/learning/questions/``;
nothing else dispatches on the type. The course loader, the quiz pages, grading
and the bank importers/exporters (``lms/courses/banks``) all go through this
package.

A question is a dict as quiz.yml writes it: the common keys ``id`` (a stable slug),
``type``, ``text``, optional ``tags`` (a list of slugs, for pools) and
``explanation`` (required unless the quiz says ``explanations: optional``), plus the
type's own keys (each module's docstring shows them with an example).

Module-level functions, for callers that hold a question of any type:

- ``check_question(raw, where, explanations_required=True)`` → ``(question | None,
  problems, warnings)``: the common keys and then the type's own checked; the
  question returned is canonical (normalised, defaults left out) and is None when
  there is any problem. Problems and warnings are
  :class:`lms.courses.problems.Problem` (``file:line: message``) built from
  ``where`` (:class:`~.base.Where`: a file and either the question's line or a
  function from a key path to its line).
- ``to_yaml(question)`` → the dict to write in quiz.yml, keys in the usual order
  and defaults left out (``check_question`` of it gives the question back).
- ``question_type(name)`` → the type, or :class:`UnknownQuestionType`.

Each type (``REGISTRY[name]``) has:

- ``validate(question, where)`` → the problems with its own keys (file:line);
- ``canonical(question)`` → its own keys normalised (after a clean validate);
- ``to_yaml(question)`` → its own keys as quiz.yml writes them;
- ``snapshot(question, rng, shuffle)`` → the dict an attempt stores: what it
  showed, with this attempt's order of choices where there are choices;
- ``template`` and ``context(snapshot)`` → the include that renders it on the quiz
  page and the variables it needs beyond ``q`` (the snapshot) and ``name`` (its form
  field, ``q-<id>``);
- ``parse(form, snapshot, number)`` → the response (JSON-able, bounded), or
  :class:`AnswersRejected` for more than a browser can send;
- ``grade(snapshot, response)`` → a score from 0.0 to 1.0 (1.0 is right; partial
  credit only where the question says ``partial: true``);
- ``right_response(snapshot)`` → a response that earns 1.0 (tests, demo, bench);
- ``answered(snapshot, response)`` → whether the response answers it at all (blanks
  are counted before submitting and flagged on the result page);
- ``shown_response(snapshot, response)`` and ``shown_answer(snapshot)`` → the lines the
  result page lists after ``chosen_label`` ("Bạn chọn", "Bạn trả lời") and
  ``right_label`` ("Đáp án đúng", "Đáp án" for true/false), only where the course
  shows marks (``lms.learning.logic.shows_marks``).
"""

from __future__ import annotations

from typing import Any

from lms.courses.problems import Problem
from lms.learning.questions.base import (
    SLUG,
    AnswersRejected,
    QuestionType,
    UnknownQuestionType,
    Where,
    field_name,
)
from lms.learning.questions.matching import Matching
from lms.learning.questions.multiple import Multiple
from lms.learning.questions.numerical import Numerical
from lms.learning.questions.short import Short
from lms.learning.questions.single import Single
from lms.learning.questions.true_false import TrueFalse

__all__ = [
    "AnswersRejected", "COMMON_KEYS", "Problem", "QuestionType", "REGISTRY",
    "UnknownQuestionType", "Where", "check_question", "field_name", "question_type",
    "to_yaml",
]

REGISTRY: dict[str, QuestionType] = {
    kind.name: kind for kind in (Single(), Multiple(), TrueFalse(), Short(), Matching(),
                                 Numerical())
}
COMMON_KEYS = ("id", "type", "text", "tags", "explanation")
ALL_KEYS = frozenset(COMMON_KEYS).union(*(kind.keys for kind in REGISTRY.values()))


def question_type(name: Any) -> QuestionType:
    kind = REGISTRY.get(name) if isinstance(name, str) else None
    if kind is None:
        raise UnknownQuestionType(f"unknown question type {name!r}")
    return kind


def _is_slug(value: Any) -> bool:
    return isinstance(value, str) and bool(SLUG.match(value))


def check_question(raw: Any, where: Where, *, explanations_required: bool = True
                   ) -> tuple[dict[str, Any] | None, list[Problem], list[Problem]]:
    """``raw`` (a quiz.yml question) checked: ``(question, problems, warnings)``."""
    problems: list[Problem] = []
    warnings: list[Problem] = []
    if not isinstance(raw, dict):
        return None, [where.problem("a question must be a mapping with id:, type:, text:, "
                                    "answer:")], []
    kind = REGISTRY.get(raw.get("type")) if isinstance(raw.get("type"), str) else None
    for key in raw:
        if key not in ALL_KEYS:
            problems.append(where.problem(
                f"unknown key '{key}' (expected one of: {', '.join(sorted(ALL_KEYS))})", key))
        elif kind is not None and key not in COMMON_KEYS and key not in kind.keys:
            problems.append(where.problem(f"a {kind.name} question has no '{key}'", key))
    qid = raw.get("id")
    if not _is_slug(qid):
        problems.append(where.problem("'id' is required: a stable slug such as mat-khau-manh",
                                      "id"))
    if kind is None:
        problems.append(where.problem(f"'type' must be one of {', '.join(REGISTRY)}", "type"))
    text = raw.get("text")
    if not isinstance(text, str) or not text.strip():
        problems.append(where.problem("'text' is required", "text"))
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(_is_slug(tag) for tag in tags):
        problems.append(where.problem("'tags' must be a list of slugs such as mat-khau",
                                      "tags"))
    explanation = raw.get("explanation")
    if explanation is None or (isinstance(explanation, str) and not explanation.strip()):
        explanation = None
        if explanations_required:
            problems.append(where.problem(
                "'explanation' is required: learners read it after submitting", "explanation"))
        else:
            warnings.append(where.problem(f"question '{qid}' has no explanation (learners "
                                          "read none after submitting)", "id"))
    elif not isinstance(explanation, str):
        problems.append(where.problem("'explanation' must be text", "explanation"))
    if kind is not None:
        problems += kind.validate(raw, where)
    if problems:
        return None, problems, warnings
    question: dict[str, Any] = {"id": qid, "type": kind.name, "text": text.strip()}
    question.update(kind.canonical(raw))
    if explanation is not None:
        question["explanation"] = explanation.strip()
    if tags:
        question["tags"] = list(dict.fromkeys(tags))
    return question, [], warnings


def to_yaml(question: dict[str, Any]) -> dict[str, Any]:
    """A canonical question as quiz.yml writes it: id, type, text, the type's keys,
    explanation, tags."""
    kind = question_type(question["type"])
    written: dict[str, Any] = {"id": question["id"], "type": kind.name,
                               "text": question["text"]}
    written.update(kind.to_yaml(question))
    if question.get("explanation"):
        written["explanation"] = question["explanation"]
    if question.get("tags"):
        written["tags"] = list(question["tags"])
    return written
