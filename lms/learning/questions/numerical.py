"""``numerical``: a number, right within a tolerance or a range.

```yaml
- id: ty-le-hoan-thanh
  type: numerical
  text: 45 trên 60 cán bộ đã hoàn thành. Tỷ lệ là bao nhiêu phần trăm?
  answer: 75            # a number ...
  tolerance: 0.5        # ... right within ± 0.5 (optional, default 0)
- id: nhiet-do
  type: numerical
  text: Một giá trị hợp lý?
  answer: {min: 3, max: 5}          # or a range, both ends included
  # answer: [75, {min: 80, max: 81}]  or a list of numbers (each ± tolerance) and ranges
```

Learners may type numbers the Vietnamese way or the English way: "3,5" and "3.5"
are 3.5; "1.000.000", "1,000,000" and "1 000 000" are a million; "1.234,5" and
"1,234.5" are 1234.5. A single separator followed by exactly three digits
("1.000", "2,500") reads both ways (a thousand and one, in Vietnamese; one, in
English) and is right when either reading is: the learner typed the right digits.
Numbers are compared as decimals, so 0.1 + 0.2 is 0.3.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import format_decimal
from flask_babel import gettext as _

from lms.courses.problems import Problem
from lms.learning.questions.base import (
    QuestionType,
    Where,
    bounded_text,
    field_name,
    is_number,
    one_value,
)
from lms.util.i18n import mark

NUMBER_LIMIT = 40  # characters of a typed number
_BODY = re.compile(r"[0-9.,]*[0-9][0-9.,]*")
_GROUPED = re.compile(r"[0-9]{1,3}(?:X[0-9]{3})+")
# Spaces (also no-break and thin ones) or apostrophes between groups of three digits.
_SPACED = re.compile(r"([0-9]{1,3}(?:[\s'][0-9]{3})+)(?:[.,]([0-9]+))?")


def _grouped(text: str, separator: str) -> bool:
    return bool(_GROUPED.fullmatch(text.replace(separator, "X")))


def read_number(text: Any) -> list[Decimal]:
    """The values a learner's ``text`` can mean: none (not a number), one, or two
    when a lone separator before three digits reads either way."""
    if not isinstance(text, str):
        return []
    text = text.strip()
    sign = 1
    if text[:1] in ("+", "-", "\u2212"):
        sign = -1 if text[0] != "+" else 1
        text = text[1:]
    readings: list[str] = []
    spaced = _SPACED.fullmatch(text)
    if spaced:
        whole = re.sub(r"[^0-9]", "", spaced.group(1))
        readings.append(whole + ("." + spaced.group(2) if spaced.group(2) else ""))
    elif not _BODY.fullmatch(text):
        return []
    elif "." in text and "," in text:
        decimal = "." if text.rfind(".") > text.rfind(",") else ","
        grouping = "," if decimal == "." else "."
        whole, _sep, fraction = text.rpartition(decimal)
        if text.count(decimal) == 1 and _grouped(whole, grouping) and fraction.isdigit():
            readings.append(whole.replace(grouping, "") + "." + fraction)
    elif "." not in text and "," not in text:
        readings.append(text)
    else:
        separator = "." if "." in text else ","
        if text.count(separator) > 1:
            if _grouped(text, separator):
                readings.append(text.replace(separator, ""))
        else:
            whole, _sep, fraction = text.partition(separator)
            readings.append((whole or "0") + "." + (fraction or "0"))
            if len(fraction) == 3 and 1 <= len(whole) <= 3 and whole[0] != "0":
                readings.append(whole + fraction)
    values = []
    for reading in readings:
        try:
            values.append(sign * Decimal(reading))
        except InvalidOperation:  # pragma: no cover - the patterns above exclude it
            continue
    return values


def _decimal(value: int | float) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def accepted_ranges(question: dict[str, Any]) -> list[tuple[Decimal, Decimal]]:
    """The closed intervals a right answer falls in."""
    tolerance = _decimal(question.get("tolerance", 0))
    answer = question["answer"]
    ranges = []
    for item in answer if isinstance(answer, list) else [answer]:
        if isinstance(item, dict):
            ranges.append((_decimal(item["min"]), _decimal(item["max"])))
        else:
            value = _decimal(item)
            ranges.append((value - tolerance, value + tolerance))
    return ranges


class Numerical(QuestionType):
    name = "numerical"
    keys = ("answer", "tolerance")
    defaults = {"tolerance": 0}
    template = "learning/questions/numerical.html"
    chosen_label = mark("Bạn trả lời")

    def validate(self, question: dict[str, Any], where: Where) -> list[Problem]:
        problems: list[Problem] = []
        answer = question.get("answer")
        items = answer if isinstance(answer, list) else [answer]
        shape = ("'answer' must be a number, a range such as {min: 3, max: 5}, or a list "
                 "of them (write numbers with a dot in quiz.yml: 3.5)")
        if not items:
            problems.append(where.problem(shape, "answer"))
        for i, item in enumerate(items):
            path = ("answer", i) if isinstance(answer, list) else ("answer",)
            if isinstance(item, dict):
                if set(item) != {"min", "max"} or not all(is_number(v) for v in item.values()):
                    problems.append(where.problem(shape, *path))
                elif item["min"] > item["max"]:
                    problems.append(where.problem(
                        f"the range's min ({item['min']}) is above its max ({item['max']})",
                        *path))
            elif not is_number(item):
                problems.append(where.problem(shape, *path))
        tolerance = question.get("tolerance", 0)
        if not is_number(tolerance) or tolerance < 0:
            problems.append(where.problem("'tolerance' must be a number, 0 or more",
                                          "tolerance"))
        return problems

    def canonical(self, question: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = {"answer": question["answer"]}
        if question.get("tolerance", 0):
            result["tolerance"] = question["tolerance"]
        return result

    def context(self, question: dict[str, Any]) -> dict[str, Any]:
        return {"maxlength": NUMBER_LIMIT}

    def parse(self, form: Any, question: dict[str, Any], number: int) -> Any:
        value = bounded_text(one_value(form, field_name(question), number), NUMBER_LIMIT,
                             number)
        return value.strip() or None if value is not None else None

    def grade(self, question: dict[str, Any], response: Any) -> float:
        ranges = accepted_ranges(question)
        for value in read_number(response):
            if any(low <= value <= high for low, high in ranges):
                return 1.0
        return 0.0

    def answered(self, question: dict[str, Any], response: Any) -> bool:
        return isinstance(response, str) and bool(response.strip())

    def shown_response(self, question: dict[str, Any], response: Any) -> list[str]:
        return [response.strip()]

    def shown_answer(self, question: dict[str, Any]) -> list[str]:
        """Each accepted value or range in the page's number format: 3,5 · 3,5 (± 0,1)
        · từ 3 đến 5."""
        tolerance = question.get("tolerance", 0)
        answer = question["answer"]
        shown = []
        for item in answer if isinstance(answer, list) else [answer]:
            if isinstance(item, dict):
                shown.append(_("từ %(low)s đến %(high)s", low=format_decimal(item["min"]),
                               high=format_decimal(item["max"])))
            elif tolerance:
                shown.append(f"{format_decimal(item)} (± {format_decimal(tolerance)})")
            else:
                shown.append(format_decimal(item))
        return shown

    def right_response(self, question: dict[str, Any]) -> Any:
        low, high = accepted_ranges(question)[0]
        return str((low + high) / 2).replace(".", ",")
