"""``short``: a typed answer compared with a list of accepted ones.

```yaml
- id: duong-day-nong
  type: short
  text: Số điện thoại đường dây nóng chống lừa đảo là gì?
  answer: ["156", "số 156"]     # accepted answers (one is enough)
  ignore_case: true             # optional, default true: "VNEID" = "VNeID"
  ignore_diacritics: true       # optional, default true: "cong dich vu" = "Cổng dịch vụ"
```

Spaces are collapsed and a final full stop or exclamation mark ignored whatever the
options. Quote answers such as ``"156"`` so YAML keeps them as text.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from lms.courses.problems import Problem
from lms.learning.questions.base import (
    QuestionType,
    Where,
    bounded_text,
    field_name,
    is_text,
    one_value,
)
from lms.util.i18n import mark
from lms.util.text import fold

SHORT_ANSWER_MIN_LIMIT = 200  # characters, whatever the accepted answers' length
SHORT_ANSWER_FACTOR = 4  # ... or this many times the longest accepted answer
_SPACES = re.compile(r"\s+")


def answer_limit(question: dict[str, Any]) -> int:
    """The longest short answer accepted, in characters (the text box's maxlength)."""
    accepted = question.get("answer") or []
    if isinstance(accepted, str):
        accepted = [accepted]
    longest = max((len(str(answer)) for answer in accepted), default=0)
    return max(SHORT_ANSWER_MIN_LIMIT, SHORT_ANSWER_FACTOR * longest)


def normalise(text: str, *, ignore_case: bool = True, ignore_diacritics: bool = True) -> str:
    """``text`` as compared: spaces collapsed, a final . or ! dropped, and case and
    Vietnamese marks (đ → d) dropped as the options say."""
    if ignore_case and ignore_diacritics:
        return fold(text).strip(" .!")
    text = unicodedata.normalize("NFC", text)
    if ignore_diacritics:
        text = text.replace("đ", "d").replace("Đ", "D")
        text = "".join(ch for ch in unicodedata.normalize("NFD", text)
                       if not unicodedata.combining(ch))
    if ignore_case:
        text = text.lower()
    return _SPACES.sub(" ", text).strip().strip(" .!")


class Short(QuestionType):
    name = "short"
    keys = ("answer", "ignore_case", "ignore_diacritics")
    defaults = {"ignore_case": True, "ignore_diacritics": True}
    template = "learning/questions/short.html"
    chosen_label = mark("Bạn trả lời")

    def validate(self, question: dict[str, Any], where: Where) -> list[Problem]:
        problems = []
        answer = question.get("answer")
        if is_text(answer):
            answer = [answer]
        if (not isinstance(answer, list) or not answer
                or not all(is_text(a) and str(a).strip() for a in answer)):
            problems.append(where.problem("'answer' must be a list of accepted answers (text)",
                                          "answer"))
        for key in ("ignore_case", "ignore_diacritics"):
            if not isinstance(question.get(key, True), bool):
                problems.append(where.problem(f"'{key}' must be true or false", key))
        return problems

    def canonical(self, question: dict[str, Any]) -> dict[str, Any]:
        answer = question["answer"]
        result: dict[str, Any] = {"answer": [str(a) for a in
                                             (answer if isinstance(answer, list) else [answer])]}
        for key in ("ignore_case", "ignore_diacritics"):
            if question.get(key, True) is False:
                result[key] = False
        return result

    def context(self, question: dict[str, Any]) -> dict[str, Any]:
        return {"maxlength": answer_limit(question)}

    def parse(self, form: Any, question: dict[str, Any], number: int) -> Any:
        return bounded_text(one_value(form, field_name(question), number),
                            answer_limit(question), number)

    def grade(self, question: dict[str, Any], response: Any) -> float:
        options = {"ignore_case": question.get("ignore_case", True),
                   "ignore_diacritics": question.get("ignore_diacritics", True)}
        given = normalise(str(response or ""), **options)
        accepted = {normalise(str(a), **options) for a in question["answer"]}
        return 1.0 if given and given in accepted else 0.0

    def right_response(self, question: dict[str, Any]) -> Any:
        return question["answer"][0]

    def answered(self, question: dict[str, Any], response: Any) -> bool:
        return isinstance(response, str) and bool(response.strip())

    def shown_response(self, question: dict[str, Any], response: Any) -> list[str]:
        return [response.strip()]

    def shown_answer(self, question: dict[str, Any]) -> list[str]:
        return list(question["answer"])  # every accepted answer
