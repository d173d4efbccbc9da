"""GIFT, Moodle's text format for question banks: reading and writing.

Read as Moodle reads it (question/format/gift): questions are separated by blank
lines; lines starting with ``//`` are comments; ``$CATEGORY: path`` sets the
category of the questions after it; ``::title::`` names a question; the answers
are the one ``{...}`` block (text after it makes a missing-word question,
``_____``); ``\\~ \\= \\# \\{ \\} \\: \\\\`` and ``\\n`` are escapes; ``[html]``,
``[markdown]``, ``[plain]`` or ``[moodle]`` before the text gives its format.

Inside the braces: ``=right ~wrong`` (one choice), ``~%50%a ~%50%b ~%-100%c``
(several), ``T``/``F``/``TRUE``/``FALSE``, ``=answer =other`` (short answer),
``=left -> right`` (matching), ``#3.5:0.1``, ``#1..2`` or ``#=3.5:0.1 =%50%3.5:1``
(numerical); ``#feedback`` after an answer and ``####general feedback`` at the
end. Per-answer feedback is folded into the question's ``explanation``.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from lms.courses.banks import shapes
from lms.courses.banks.bank import Bank, BankQuestion, decode, explanation
from lms.courses.banks.problems import short_name
from lms.courses.banks.textfmt import (
    format_number,
    html_to_text,
    looks_like_html,
    parse_number,
    plain,
)
from lms.util.i18n import mark

_ESCAPED = "\\~=#{}:n"
_PLACEHOLDER = {ch: chr(0xE000 + i) for i, ch in enumerate(_ESCAPED)}
_ESCAPE = re.compile(r"\\([\\~=#{}:n])")
_UNESCAPE = str.maketrans({chr(0xE000 + i): ("\n" if ch == "n" else ch)
                           for i, ch in enumerate(_ESCAPED)})
_FORMAT = re.compile(r"\s*\[(html|markdown|plain|moodle)\]")
_WEIGHT = re.compile(r"%(-?\d+(?:[.,]\d*)?)%")
_BAD_WEIGHT = re.compile(r"%[^%\s]{0,10}%")
_MARKS = re.compile(r"[~=]")
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
FULL = Decimal(100)

NO_CLOSING_TITLE = mark("thiếu dấu :: đóng tên câu hỏi")
NO_CLOSING_BRACE = mark("thiếu dấu }")
NO_OPENING_BRACE = mark("thiếu dấu { (dấu } không có dấu { mở)")
TWO_ANSWER_BLOCKS = mark("một câu chỉ có một phần đáp án {...}; viết \\{ và \\} cho dấu "
                         "ngoặc trong lời văn")
NO_TEXT = mark("câu hỏi không có lời văn")


_ANY_PLACEHOLDER = re.compile(f"[{chr(0xE000)}-{chr(0xE000 + len(_ESCAPED) - 1)}]")


def _unescape(text: str) -> str:
    return text.translate(_UNESCAPE) if _ANY_PLACEHOLDER.search(text) else text


class _Question:
    """One blank-line separated block being read."""

    def __init__(self, bank: Bank, source: str, first_line: int, category: str | None):
        self.bank = bank
        self.s = _ESCAPE.sub(lambda m: _PLACEHOLDER[m.group(1)], source)
        self.first_line = first_line
        self.category = category
        self.name: str | None = None
        self.format = "moodle"
        self.ok = True

    def line(self, pos: int) -> int:
        return self.first_line + self.s.count("\n", 0, max(pos, 0))

    def error(self, pos: int, template: str, /, **params: Any) -> None:
        self.ok = False
        self.bank.error(self.line(pos), self.name, template, **params)

    def note(self, pos: int, template: str, /, **params: Any) -> None:
        self.bank.note(self.line(pos), self.name, template, **params)

    def text(self, raw: str, pos: int) -> str:
        """Escapes resolved and the format applied: the question's, or the one this
        piece of text starts with (feedback may say ``[html]``)."""
        text = _unescape(raw)
        fmt = self.format
        if "[" in text[:12]:
            match = _FORMAT.match(text)
            if match:
                fmt, text = match.group(1), text[match.end():]
        if fmt == "html" or (fmt == "moodle" and ("<" in text or "&" in text)
                             and looks_like_html(text)):
            text, dropped = html_to_text(text)
            for src in dropped:
                self.note(pos, mark("ảnh ngoài '%(src)s' bị bỏ: ảnh phải nằm trong thư mục "
                                    "images/ của khóa học"), src=src)
            return text
        return plain(text)

    # --- the block -----------------------------------------------------------------

    def read(self) -> BankQuestion | None:
        s = self.s
        pos = len(s) - len(s.lstrip())
        title = None
        if s.startswith("::", pos):
            end = s.find("::", pos + 2)
            if end < 0:
                self.error(pos, NO_CLOSING_TITLE)
                return None
            title = " ".join(_unescape(s[pos + 2:end]).split()) or None
            self.name = title
            pos = end + 2
        opening, closing = s.find("{", pos), s.find("}", pos)
        if self.name is None:
            cut = opening if opening >= 0 else len(s)
            self.name = short_name(_FORMAT.sub("", _unescape(s[pos:cut]), count=1)) or None
        if opening < 0 and closing < 0:
            self.bank.unsupported_question(
                self.line(pos), self.name,
                mark("không có phần đáp án {...}: loại '%(kind)s' chưa được hỗ trợ"),
                kind="description")
            return None
        if opening < 0 or (0 <= closing < opening):
            self.error(closing, NO_OPENING_BRACE)
            return None
        if closing < 0 or s.find("{", opening + 1, closing) >= 0:
            self.error(opening, NO_CLOSING_BRACE)
            return None
        extra = min((i for i in (s.find("{", closing + 1), s.find("}", closing + 1)) if i >= 0),
                    default=-1)
        if extra >= 0:
            self.error(extra, TWO_ANSWER_BLOCKS)
            return None

        before, after = s[pos:opening], s[closing + 1:]
        match = _FORMAT.match(before)
        if match:
            self.format = match.group(1)
            before = before[match.end():]
        raw_text = before + "_____" + after if after.strip() else before
        text = self.text(raw_text, pos)
        if not text:
            self.error(pos, NO_TEXT)
            return None

        answers = s[opening + 1:closing]
        general = ""
        split = answers.rfind("####")
        if split >= 0:
            general = self.text(answers[split + 4:], opening + 1 + split)
            answers = answers[:split]
        base = opening + 1 + (len(answers) - len(answers.lstrip()))
        answers = answers.strip()

        if not answers:
            self.bank.unsupported_question(
                self.line(opening), self.name,
                mark("phần đáp án trống {}: loại '%(kind)s' chưa được hỗ trợ"), kind="essay")
            return None
        if answers[0] == "#":
            data = self.numerical(text, answers[1:], base + 1, general)
        elif "~" in answers:
            data = self.choice(text, answers, base, general)
        elif "=" in answers and "->" in answers:
            data = self.matching(text, answers, base, general)
        elif answers.split("#", 1)[0].strip().upper() in TRUE_FALSE:
            data = self.true_false(text, answers, base, general)
        else:
            data = self.short(text, answers, base, general)
        if data is None or not self.ok:
            return None
        return BankQuestion(data, self.line(pos), title, self.category)

    # --- helpers -------------------------------------------------------------------

    def pieces(self, answers: str, base: int, marks: re.Pattern[str]):
        """(mark, text, position) for each answer; text before the first mark has mark ''."""
        found = []
        last, last_mark = 0, ""
        for match in marks.finditer(answers):
            found.append((last_mark, answers[last:match.start()], base + last))
            last, last_mark = match.end(), match.group()
        found.append((last_mark, answers[last:], base + last))
        if not found[0][1].strip():
            found.pop(0)
        return found

    def weight(self, body: str, pos: int, default: Decimal) -> tuple[Decimal | None, str]:
        stripped = body.lstrip()
        match = _WEIGHT.match(stripped)
        if match:
            weight = Decimal(match.group(1).replace(",", "."))
            if not -FULL <= weight <= FULL:
                self.error(pos, mark("trọng số %(weight)s%% phải từ -100%% đến 100%%"),
                           weight=match.group(1))
                return None, body
            return weight, stripped[match.end():]
        bad = _BAD_WEIGHT.match(stripped)
        if bad:
            self.error(pos, mark("trọng số '%(weight)s' không hợp lệ (viết %%50%% hoặc "
                                 "%%-100%%)"), weight=bad.group())
            return None, body
        return default, body

    def feedback(self, body: str, pos: int) -> tuple[str, str]:
        answer, _, feedback = body.partition("#")
        return self.text(answer, pos), self.text(feedback, pos) if feedback else ""

    # --- the types -----------------------------------------------------------------

    def choice(self, text: str, answers: str, base: int, general: str):
        pieces = self.pieces(answers, base, _MARKS)
        if pieces and pieces[0][0] == "":
            self.error(pieces[0][2], mark("mỗi lựa chọn bắt đầu bằng = (đúng) hoặc ~ (sai): "
                                          "'%(text)s'"), text=_unescape(pieces[0][1]).strip())
            return None
        single = any(m == "=" for m, _, _ in pieces)
        choices, weights, feedback = [], [], []
        for kind, body, pos in pieces:
            weight, body = self.weight(body, pos, FULL if kind == "=" else Decimal(0))
            if weight is None:
                return None
            choice, said = self.feedback(body, pos)
            if not choice:
                self.error(pos, mark("lựa chọn trống"))
                return None
            choices.append(choice)
            weights.append(weight)
            feedback.append((choice, said))
        if len(choices) < 2:
            self.error(base, mark("cần ít nhất hai lựa chọn"))
            return None
        explained = explanation(general, feedback)
        if single:
            right = [i for i, w in enumerate(weights) if w == FULL]
            if len(right) > 1:
                self.bank.unsupported_question(
                    self.line(base), self.name,
                    mark("%(n)d lựa chọn cùng đúng trong câu một đáp án: dùng ~%%50%% cho câu "
                         "nhiều đáp án"), n=len(right))
                self.ok = False
                return None
            if not right:
                self.error(base, mark("không có đáp án đúng (đánh dấu bằng = hoặc %%100%%)"))
                return None
            if any(0 < w < FULL for w in weights):
                self.note(base, mark("điểm từng phần của các lựa chọn gần đúng bị bỏ: chỉ "
                                     "lựa chọn đúng 100%% được tính"))
            return shapes.single(text, choices, right[0], explained)
        right = [i for i, w in enumerate(weights) if w > 0]
        if not right:
            self.error(base, mark("không có đáp án đúng (câu nhiều đáp án: đánh dấu bằng "
                                  "~%%50%%...)"))
            return None
        return shapes.multiple(text, choices, right, explained)

    def matching(self, text: str, answers: str, base: int, general: str):
        pairs, distractors = [], []
        for kind, body, pos in self.pieces(answers, base, re.compile("=")):
            if kind == "" or "->" not in body:
                self.error(pos, mark("mỗi cặp ghép có dạng =vế trái -> vế phải: '%(text)s'"),
                           text=_unescape(body).strip())
                return None
            left, right = body.split("->", 1)
            left, right = self.text(left, pos), self.text(right, pos)
            if not right:
                self.error(pos, mark("cặp ghép thiếu vế phải"))
                return None
            if left:
                pairs.append((left, right))
            else:  # "= -> item": a right-side item that matches nothing
                distractors.append(right)
        if len(pairs) < 2:
            self.error(base, mark("cần ít nhất hai cặp ghép"))
            return None
        return shapes.matching(text, pairs, explanation(general, []), distractors)

    def true_false(self, text: str, answers: str, base: int, general: str):
        bits = answers.split("#", 2)
        answer = TRUE_FALSE[bits[0].strip().upper()]
        wrong = self.text(bits[1], base) if len(bits) > 1 else ""
        right = self.text(bits[2], base) if len(bits) > 2 else ""
        return shapes.true_false(text, answer,
                                 explanation(general, [(None, right), (None, wrong)]))

    def short(self, text: str, answers: str, base: int, general: str):
        accepted, feedback, dropped = [], [], 0
        for _kind, body, pos in self.pieces(answers, base, re.compile("=")):
            weight, body = self.weight(body, pos, FULL)
            if weight is None:
                return None
            answer, said = self.feedback(body, pos)
            if not answer:
                self.error(pos, mark("đáp án trống"))
                return None
            if weight == FULL:
                accepted.append(answer)
                feedback.append((answer, said))
            else:
                dropped += 1
        if dropped:
            self.note(base, mark("%(n)d đáp án không đúng 100%% bị bỏ: câu trả lời ngắn chỉ "
                                 "giữ đáp án đúng"), n=dropped)
        if not accepted:
            self.error(base, mark("không có đáp án đúng 100%%"))
            return None
        return shapes.short(text, accepted, explanation(general, feedback))

    def numerical(self, text: str, answers: str, base: int, general: str):
        wrong = ""
        tilde = answers.find("~")
        if tilde >= 0:
            wrong = self.text(answers[tilde + 1:].partition("#")[2], base + tilde)
            answers = answers[:tilde]
        accepted, feedback, dropped = [], [], 0
        for _kind, body, pos in self.pieces(answers, base, re.compile("=")):
            weight, body = self.weight(body, pos, FULL)
            if weight is None:
                return None
            raw, _, said = body.partition("#")
            number = self.number(raw, pos)
            if number is None:
                return None
            if weight == FULL:
                accepted.append(number)
                feedback.append((None, self.text(said, pos) if said else ""))
            else:
                dropped += 1
        if dropped:
            self.note(base, mark("%(n)d đáp án không đúng 100%% bị bỏ: câu số chỉ giữ đáp án "
                                 "đúng"), n=dropped)
        if not accepted:
            self.error(base, mark("không có đáp án số đúng 100%%"))
            return None
        return shapes.numerical(text, accepted,
                                explanation(general, feedback + [(None, wrong)]))

    def number(self, raw: str, pos: int) -> shapes.Number | None:
        raw = raw.strip()
        if ".." in raw:
            low, high = (parse_number(p) for p in raw.split("..", 1))
            if low is None or high is None:
                self.error(pos, mark("'%(text)s' không phải khoảng số (viết #1..2)"), text=raw)
                return None
            if low > high:
                self.error(pos, mark("khoảng %(text)s: số đầu lớn hơn số cuối"), text=raw)
                return None
            return shapes.Number(low=low, high=high)
        value_text, _, tolerance_text = raw.partition(":")
        value = parse_number(value_text)
        tolerance = parse_number(tolerance_text) if tolerance_text.strip() else Decimal(0)
        if value is None or tolerance is None or tolerance < 0:
            self.error(pos, mark("'%(text)s' không phải số (viết #3.5 hoặc #3.5:0.1)"),
                       text=_unescape(raw))
            return None
        return shapes.Number(value=value, tolerance=tolerance)


def read_gift(data: bytes, file: str) -> Bank:
    bank = Bank(file)
    text = decode(bank, data)
    if text is None:
        return bank
    category = None
    block: list[str] = []
    start = 0
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines.append("")
    for number, line in enumerate(lines, start=1):
        if line.strip():
            if not block:
                start = number
            # A comment line stays in its block (as in Moodle) but says nothing.
            block.append("" if line.lstrip().startswith("//") else line)
            continue
        if not block:
            continue
        while block and not block[0].strip():
            block.pop(0)
            start += 1
        if block and block[0].lstrip().startswith("$CATEGORY:"):
            category = block.pop(0).split(":", 1)[1].strip() or None
            start += 1
            while block and not block[0].strip():
                block.pop(0)
                start += 1
        if block:
            question = _Question(bank, "\n".join(block), start, category).read()
            if question is not None:
                bank.questions.append(question)
        block = []
    return bank


# --- writing -----------------------------------------------------------------------

_WRITE_ESCAPES = str.maketrans({"\\": "\\\\", "~": "\\~", "=": "\\=", "#": "\\#",
                                "{": "\\{", "}": "\\}", ":": "\\:", "\n": "\\n", "\r": ""})


def escape(text: str) -> str:
    return text.translate(_WRITE_ESCAPES)


def _text(text: str) -> str:
    if "![" in text or text.startswith("["):
        return "[markdown]" + escape(text)
    return escape(text)


def _piece(text: str) -> str:
    """An answer or feedback: one that starts like a format ("[html] ...") or a weight
    ("%50% ...") keeps it as text behind an explicit format."""
    return ("[markdown]" if _FORMAT.match(text) or text.startswith("%") else "") + escape(text)


def multiple_weights(right: int) -> str:
    """The share of one right choice, as Moodle's grade list writes it (33.33333)."""
    return format_number(round(FULL / right, 5))


def category_of(question: dict[str, Any], root: str | None) -> str | None:
    """The Moodle category a question is exported in: the course's, and its first tag
    below it (which an import gives back as the tag)."""
    tags = question.get("tags") or []
    if root is None:
        return None
    return f"$course$/top/{root}/{tags[0]}" if tags else f"$course$/top/{root}"


def write_gift(questions: list[dict[str, Any]], category: str | None = None) -> str:
    """GIFT for Moodle's import; ``category`` (the course slug) names the category."""
    out = []
    current = None
    for question in questions:
        wanted = category_of(question, category)
        if wanted != current:
            out.append(f"$CATEGORY: {wanted}\n\n")
            current = wanted
        lines = [f"::{escape(question['id'])}::{_text(question['text'])}{{"]
        kind = question["type"]
        if kind == "single":
            lines += [f"\t{'=' if i == question['answer'] else '~'}{_piece(choice)}"
                      for i, choice in enumerate(question["choices"])]
        elif kind == "multiple":
            right = shapes.right_choices(question)
            share = multiple_weights(len(right))
            lines += [f"\t~%{share if i in right else '-100'}%{_piece(choice)}"
                      for i, choice in enumerate(question["choices"])]
        elif kind == "true_false":
            lines.append("\tTRUE" if question["answer"] else "\tFALSE")
        elif kind == "short":
            lines += [f"\t={_piece(a)}" for a in shapes.short_answers(question)]
        elif kind == "matching":
            lines += [f"\t={_piece(a)} -> {_piece(b)}" for a, b in shapes.pairs(question)]
            lines += [f"\t= -> {_piece(d)}" for d in shapes.distractors(question)]
        elif kind == "numerical":
            numbers = shapes.numbers(question)
            lines.append("\t#" + " ".join(
                ("=" if len(numbers) > 1 else "") + _number(n) for n in numbers))
        else:
            raise ValueError(f"question {question['id']}: type {kind} cannot be written as GIFT")
        if question.get("explanation"):
            lines.append(f"\t####{_piece(question['explanation'])}")
        lines.append("}")
        out.append("\n".join(lines) + "\n\n")
    return "".join(out)


def _number(number: shapes.Number) -> str:
    if number.is_range:
        return f"{format_number(number.low)}..{format_number(number.high)}"
    if number.tolerance:
        return f"{format_number(number.value)}:{format_number(number.tolerance)}"
    return format_number(number.value)
