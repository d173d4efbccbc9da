"""``matching``: pair each item on the left with one on the right (a list box per
left item; the right side is shuffled on every attempt).

```yaml
- id: ghep-dich-vu
  type: matching
  text: Ghép mỗi việc với nơi làm việc đó.
  pairs:
    - [Đăng ký khai sinh, Cổng Dịch vụ công quốc gia]
    - [Xác thực định danh điện tử, Ứng dụng VNeID]
    - [Báo cáo tin nhắn lừa đảo, Đầu số 156]
  distractors: [Tổng đài 113]   # optional: right-side items that match nothing
  partial: false                # optional: true gives credit per right pair
```

Two left items may share a right item (it is listed once). The form value of each
right item is its position in this attempt's shuffled list, not its place in
quiz.yml, so the page never gives the pairs away; the attempt stores the order and
grading reads it. Without ``partial`` the question is right only when every pair
is; with ``partial: true`` it earns the share of right pairs.
"""

from __future__ import annotations

from random import Random
from typing import Any

from flask_babel import gettext as _

from lms.courses.problems import Problem
from lms.learning.questions.base import (
    QuestionType,
    Where,
    choice_index,
    field_name,
    is_text,
    one_value,
)


def options_of(question: dict[str, Any]) -> list[str]:
    """The right-side items in quiz.yml order: each pair's right item once, then the
    distractors."""
    options: list[str] = []
    for _left, right in question["pairs"]:
        if right not in options:
            options.append(right)
    options += [d for d in question.get("distractors", []) if d not in options]
    return options


class Matching(QuestionType):
    name = "matching"
    keys = ("pairs", "distractors", "partial")
    defaults = {"distractors": [], "partial": False}
    template = "learning/questions/matching.html"

    def validate(self, question: dict[str, Any], where: Where) -> list[Problem]:
        problems: list[Problem] = []
        pairs = question.get("pairs")
        if not isinstance(pairs, list) or len(pairs) < 2:
            problems.append(where.problem(
                "'pairs' must list at least two [left, right] pairs", "pairs"))
            pairs = []
        lefts: set[str] = set()
        rights: set[str] = set()
        for i, pair in enumerate(pairs):
            if (not isinstance(pair, list) or len(pair) != 2
                    or not all(is_text(side) and str(side).strip() for side in pair)):
                problems.append(where.problem(
                    f"pair {i} must be [left, right], both text (quote words like yes/no)",
                    "pairs", i))
                continue
            left = str(pair[0]).strip()
            if left in lefts:
                problems.append(where.problem(f"left item '{left}' is listed twice",
                                              "pairs", i))
            lefts.add(left)
            rights.add(str(pair[1]).strip())
        distractors = question.get("distractors", [])
        if not isinstance(distractors, list) or not all(
                is_text(d) and str(d).strip() for d in distractors):
            problems.append(where.problem("'distractors' must be a list of texts",
                                          "distractors"))
        else:
            for i, distractor in enumerate(distractors):
                if str(distractor).strip() in rights:
                    problems.append(where.problem(
                        f"distractor '{distractor}' is also the right item of a pair",
                        "distractors", i))
        if not isinstance(question.get("partial", False), bool):
            problems.append(where.problem("'partial' must be true or false", "partial"))
        return problems

    def canonical(self, question: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {
            "pairs": [[str(left).strip(), str(right).strip()]
                      for left, right in question["pairs"]]}
        if question.get("distractors"):
            result["distractors"] = [str(d).strip() for d in question["distractors"]]
        if question.get("partial"):
            result["partial"] = True
        return result

    def snapshot(self, question: dict[str, Any], rng: Random, shuffle: bool) -> dict[str, Any]:
        # Always shuffled: in quiz.yml order the right side would follow the left one.
        shown = dict(question)
        order = list(range(len(options_of(question))))
        rng.shuffle(order)
        shown["order"] = order
        return shown

    def context(self, question: dict[str, Any]) -> dict[str, Any]:
        options = options_of(question)
        name = field_name(question)
        return {
            "rows": [{"name": f"{name}.{i}", "id": f"{name}-{i}", "left": left}
                     for i, (left, _right) in enumerate(question["pairs"])],
            "options": [(str(position), options[index])
                        for position, index in enumerate(question["order"])],
        }

    def parse(self, form: Any, question: dict[str, Any], number: int) -> Any:
        count = len(question["order"])
        name = field_name(question)
        response = []
        for i in range(len(question["pairs"])):
            position = choice_index(one_value(form, f"{name}.{i}", number), count)
            response.append(None if position is None else str(position))
        return response

    def grade(self, question: dict[str, Any], response: Any) -> float:
        pairs = question["pairs"]
        if not isinstance(response, list) or len(response) != len(pairs):
            return 0.0
        options, order = options_of(question), question["order"]
        right = 0
        for (_left, wanted), position in zip(pairs, response, strict=True):
            index = choice_index(position, len(order))
            if index is not None and options[order[index]] == wanted:
                right += 1
        if right == len(pairs):
            return 1.0
        return right / len(pairs) if question.get("partial") else 0.0

    def answered(self, question: dict[str, Any], response: Any) -> bool:
        """Every left item given a match (a row left on "— Chọn —" is a blank)."""
        return (isinstance(response, list) and len(response) == len(question["pairs"])
                and all(position is not None for position in response))

    def shown_response(self, question: dict[str, Any], response: Any) -> list[str]:
        options, order = options_of(question), question["order"]
        shown = []
        for (left, _right), position in zip(question["pairs"], response, strict=False):
            index = choice_index(position, len(order))
            chosen = options[order[index]] if index is not None else _("(chưa chọn)")
            shown.append(f"{left} → {chosen}")
        return shown

    def shown_answer(self, question: dict[str, Any]) -> list[str]:
        return [f"{left} → {right}" for left, right in question["pairs"]]

    def right_response(self, question: dict[str, Any]) -> Any:
        options, order = options_of(question), question["order"]
        return [str(order.index(options.index(right))) for _left, right in question["pairs"]]
