"""Aiken: the simplest bank format, one-answer multiple choice only.

::

    Mật khẩu nào mạnh nhất?
    A. 123456
    B) T0i#Hoc$KyNang5o!
    ANSWER: B

The question's text may take several lines before its first option; blank
lines between questions are optional.
"""

from __future__ import annotations

import re

from lms.courses.banks import shapes
from lms.courses.banks.bank import Bank, BankQuestion, decode
from lms.courses.banks.problems import short_name
from lms.util.i18n import mark

_OPTION = re.compile(r"([A-Z])\s*[.)]\s+(\S.*)")
_ANSWER = re.compile(r"ANSWER\s*:?\s*(\S*)\s*", re.IGNORECASE)


def read_aiken(data: bytes, file: str) -> Bank:
    bank = Bank(file)
    text = decode(bank, data)
    if text is None:
        return bank
    lines: list[str] = []
    options: list[tuple[str, str]] = []
    start = 0

    def reset() -> None:
        nonlocal start
        lines.clear()
        options.clear()
        start = 0

    def name() -> str | None:
        return short_name(" ".join(lines)) if lines else None

    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), 1):
        line = raw.strip()
        if not line:
            continue
        answer = _ANSWER.fullmatch(line)
        option = _OPTION.fullmatch(line)
        if answer:
            if not lines:
                bank.error(number, None, mark("dòng ANSWER không thuộc câu hỏi nào"))
            elif len(options) < 2:
                bank.error(number, name(), mark("cần ít nhất hai lựa chọn A. B. ... trước "
                                                "dòng ANSWER"))
            else:
                letter = answer.group(1).upper()
                letters = [letter for letter, _ in options]
                if letter not in letters:
                    bank.error(number, name(),
                               mark("ANSWER: '%(letter)s' không phải một lựa chọn (%(letters)s)"),
                               letter=answer.group(1), letters=", ".join(letters))
                else:
                    bank.questions.append(BankQuestion(
                        shapes.single("\n".join(lines), [text for _, text in options],
                                      letters.index(letter), None), start))
            reset()
        elif option and lines:
            expected = chr(ord("A") + len(options))
            if option.group(1) != expected:
                bank.error(number, name(), mark("lựa chọn '%(letter)s' đứng sau %(count)d lựa "
                                                "chọn: mong đợi '%(expected)s'"),
                           letter=option.group(1), count=len(options), expected=expected)
            options.append((option.group(1), option.group(2).strip()))
        else:
            if options:
                bank.error(start, name(), mark("thiếu dòng ANSWER: X sau các lựa chọn"))
                reset()
            if not lines:
                start = number
            lines.append(line)
    if lines:
        bank.error(start, name(), mark("thiếu dòng ANSWER: X sau các lựa chọn"))
    return bank
