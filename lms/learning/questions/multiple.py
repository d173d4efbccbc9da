"""``multiple``: every right choice must be ticked (checkboxes).

```yaml
- id: dau-hieu-lua-dao
  type: multiple
  text: Dấu hiệu nào cho thấy một tin nhắn là lừa đảo?
  choices: [Giục chuyển tiền gấp, Gửi từ tổng đài 156, Đòi mã OTP]
  answer: [0, 2]         # the indexes of the right choices
  partial: false         # optional: true gives partial credit (see grade)
```

Without ``partial`` a question is right only when exactly the right choices are
ticked. With ``partial: true`` it earns (right ticks − wrong ticks) / right choices,
never below zero, as Moodle grades a multiple-answer question.
"""

from __future__ import annotations

from typing import Any

from lms.courses.problems import Problem
from lms.learning.questions.base import (
    AnswersRejected,
    Where,
    choice_index,
    field_name,
    is_int,
)
from lms.learning.questions.single import ChoiceQuestion, _as_int
from lms.util.i18n import mark

TOO_MANY = mark("Câu %(number)d: gửi %(given)d lựa chọn, nhiều hơn số phương án "
                "(%(choices)d).")


class Multiple(ChoiceQuestion):
    name = "multiple"
    keys = ("choices", "answer", "partial")
    defaults = {"partial": False}
    template = "learning/questions/multiple.html"

    def validate(self, question: dict[str, Any], where: Where) -> list[Problem]:
        problems: list[Problem] = []
        n = self.check_choices(question, where, problems)
        answer = question.get("answer")
        if (not isinstance(answer, list) or not answer
                or not all(is_int(a) and 0 <= a < n for a in answer)
                or len(set(answer)) != len(answer)):
            problems.append(where.problem(
                f"'answer' must be a list of distinct choice indexes (0 to {max(n - 1, 0)})",
                "answer"))
        if not isinstance(question.get("partial", False), bool):
            problems.append(where.problem("'partial' must be true or false", "partial"))
        return problems

    def parse(self, form: Any, question: dict[str, Any], number: int) -> Any:
        values = form.getlist(field_name(question))
        choices = len(question.get("choices") or [])
        if len(values) > choices:
            raise AnswersRejected(TOO_MANY, number=number, given=len(values), choices=choices)
        chosen = {choice_index(value, choices) for value in values} - {None}
        return [str(index) for index in sorted(chosen)]

    def grade(self, question: dict[str, Any], response: Any) -> float:
        chosen = {_as_int(r) for r in (response or [])} if isinstance(response, list) else set()
        right = set(question["answer"])
        if chosen == right:
            return 1.0
        if not question.get("partial"):
            return 0.0
        return max(0.0, (len(chosen & right) - len(chosen - right)) / len(right))

    def right_response(self, question: dict[str, Any]) -> Any:
        return [str(a) for a in sorted(question["answer"])]

    def shown_response(self, question: dict[str, Any], response: Any) -> list[str]:
        return self._texts(question, [_as_int(r) for r in response])

    def shown_answer(self, question: dict[str, Any]) -> list[str]:
        return self._texts(question, question["answer"])
