"""``true_false``: a statement to judge (two radio buttons, Đúng / Sai).

```yaml
- id: otp-qua-dien-thoai
  type: true_false
  text: Nhân viên ngân hàng có thể hỏi mã OTP qua điện thoại.
  answer: false
```
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from lms.courses.problems import Problem
from lms.learning.questions.base import QuestionType, Where, field_name, one_value
from lms.util.i18n import mark


class TrueFalse(QuestionType):
    name = "true_false"
    keys = ("answer",)
    template = "learning/questions/true_false.html"
    right_label = mark("Đáp án")

    def validate(self, question: dict[str, Any], where: Where) -> list[Problem]:
        if not isinstance(question.get("answer"), bool):
            return [where.problem("'answer' must be true or false", "answer")]
        return []

    def canonical(self, question: dict[str, Any]) -> dict[str, Any]:
        return {"answer": question["answer"]}

    def parse(self, form: Any, question: dict[str, Any], number: int) -> Any:
        value = one_value(form, field_name(question), number)
        return value if value in ("true", "false") else None

    def grade(self, question: dict[str, Any], response: Any) -> float:
        if response not in ("true", "false"):
            return 0.0  # no answer is not "false"
        return 1.0 if (response == "true") == question["answer"] else 0.0

    def right_response(self, question: dict[str, Any]) -> Any:
        return "true" if question["answer"] else "false"

    def answered(self, question: dict[str, Any], response: Any) -> bool:
        return response in ("true", "false")

    def shown_response(self, question: dict[str, Any], response: Any) -> list[str]:
        return [_("Đúng") if response == "true" else _("Sai")]

    def shown_answer(self, question: dict[str, Any]) -> list[str]:
        return [_("Đúng") if question["answer"] else _("Sai")]
