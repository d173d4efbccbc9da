"""``single``: one right choice among several (radio buttons).

```yaml
- id: mat-khau-manh
  type: single
  text: Mật khẩu nào mạnh nhất?
  choices: ["123456", "ngay-sinh-1990", "T0i#Hoc$KyNang5o!"]
  answer: 2              # the index of the right choice
```

Each choice keeps its index in quiz.yml as its form value, whatever order the
attempt shows it in (shuffled with the quiz's ``shuffle``).
"""

from __future__ import annotations

from random import Random
from typing import Any

from lms.courses.problems import Problem
from lms.learning.questions.base import (
    QuestionType,
    Where,
    choice_index,
    field_name,
    is_int,
    one_value,
)


class ChoiceQuestion(QuestionType):
    """What single and multiple choice share: ``choices`` and their shuffled order."""

    def check_choices(self, question: dict[str, Any], where: Where,
                      problems: list[Problem]) -> int:
        """Problems with ``choices``; the number of usable choices."""
        choices = question.get("choices")
        if not isinstance(choices, list) or len(choices) < 2:
            problems.append(where.problem("'choices' must list at least two answers", "choices"))
            return 0
        usable = 0
        for i, choice in enumerate(choices):
            if isinstance(choice, bool) or choice is None or isinstance(choice, dict | list):
                problems.append(where.problem(
                    f"choice {i} must be text (quote words like yes/no/true)", "choices", i))
            else:
                usable += 1
        return usable

    def canonical(self, question: dict[str, Any]) -> dict[str, Any]:
        result = {"choices": [str(c) for c in question["choices"]],
                  "answer": question["answer"]}
        for key, default in self.defaults.items():
            if question.get(key, default) != default:
                result[key] = question[key]
        return result

    def snapshot(self, question: dict[str, Any], rng: Random, shuffle: bool) -> dict[str, Any]:
        shown = dict(question)
        order = list(range(len(question["choices"])))
        if shuffle:
            rng.shuffle(order)
        shown["order"] = order
        return shown

    def context(self, question: dict[str, Any]) -> dict[str, Any]:
        return {"options": [(str(i), question["choices"][i]) for i in question["order"]]}

    def _texts(self, question: dict[str, Any], indexes: list[int]) -> list[str]:
        """The texts of the choices at ``indexes``, in the order the attempt showed them."""
        order = question.get("order") or list(range(len(question["choices"])))
        return [question["choices"][i] for i in order if i in indexes]


class Single(ChoiceQuestion):
    name = "single"
    keys = ("choices", "answer")
    template = "learning/questions/single.html"

    def validate(self, question: dict[str, Any], where: Where) -> list[Problem]:
        problems: list[Problem] = []
        n = self.check_choices(question, where, problems)
        answer = question.get("answer")
        if not is_int(answer) or not 0 <= answer < max(n, 1):
            problems.append(where.problem(
                f"'answer' must be the index of the right choice (0 to {max(n - 1, 0)})",
                "answer"))
        return problems

    def parse(self, form: Any, question: dict[str, Any], number: int) -> Any:
        value = one_value(form, field_name(question), number)
        index = choice_index(value, len(question.get("choices") or []))
        return None if index is None else str(index)

    def grade(self, question: dict[str, Any], response: Any) -> float:
        return 1.0 if _as_int(response) == question["answer"] else 0.0

    def right_response(self, question: dict[str, Any]) -> Any:
        return str(question["answer"])

    def shown_response(self, question: dict[str, Any], response: Any) -> list[str]:
        return self._texts(question, [_as_int(response)])

    def shown_answer(self, question: dict[str, Any]) -> list[str]:
        return self._texts(question, [question["answer"]])


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
