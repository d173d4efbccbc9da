"""Moodle XML: reading and writing question banks.

Read with defusedxml: a document that declares entities (the "billion laughs")
or refers to external ones is refused before anything is expanded or fetched.
Supported: ``multichoice`` (``<single>`` true or false), ``truefalse``,
``shortanswer``, ``matching`` and ``numerical``; ``category`` sets the category
of the questions after it; every other type is listed as unsupported.
``<questiontext format="html">`` is sanitised with nh3 and reduced to quiz text;
``@@PLUGINFILE@@/NAME`` pictures come from the base64 ``<file>`` elements and
are saved in the course's ``images/`` (see :mod:`lms.courses.banks.images`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from defusedxml.common import DefusedXmlException, DTDForbidden, EntitiesForbidden
from defusedxml.ElementTree import DefusedXMLParser

from lms.courses.banks import images, shapes
from lms.courses.banks.bank import Bank, BankQuestion, explanation
from lms.courses.banks.gift import category_of, multiple_weights
from lms.courses.banks.textfmt import (
    format_number,
    html_to_text,
    looks_like_html,
    parse_number,
    plain,
)
from lms.util.i18n import mark

SUPPORTED = ("multichoice", "truefalse", "shortanswer", "matching", "numerical")
FULL = Decimal(100)
_PLUGINFILE = re.compile(r"@@PLUGINFILE@@/([^\"'\s()<>?#]+)")
_MARKDOWN_IMAGE = re.compile(r"(!\[[^\]]*\]\()images/([^)\s]+)\)")


class _Tree(ET.TreeBuilder):
    """Remembers the line each element starts on."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: dict[int, int] = {}
        self.expat: Any = None

    def start(self, tag, attrs):
        element = super().start(tag, attrs)
        self.lines[id(element)] = self.expat.CurrentLineNumber
        return element


def parse_xml(data: bytes, bank: Bank) -> tuple[ET.Element | None, dict[int, int]]:
    tree = _Tree()
    # Moodle never writes a DOCTYPE: any is refused, and with it every entity
    # declaration (the "billion laughs") and external DTD or entity.
    parser = DefusedXMLParser(target=tree, forbid_dtd=True, forbid_entities=True,
                              forbid_external=True)
    tree.expat = parser.parser
    try:
        parser.feed(data)
        return parser.close(), tree.lines
    except DTDForbidden:
        bank.error(tree.expat.CurrentLineNumber, None,
                   mark("XML có khai báo DOCTYPE (nơi khai báo thực thể, DTD ngoài): bị từ "
                        "chối vì an toàn; tệp Moodle XML không có DOCTYPE"))
    except EntitiesForbidden as exc:
        bank.error(tree.expat.CurrentLineNumber, None,
                   mark("XML khai báo thực thể (entity) '%(name)s': bị từ chối vì an toàn"),
                   name=exc.name or "?")
    except DefusedXmlException:
        bank.error(tree.expat.CurrentLineNumber, None,
                   mark("XML tham chiếu tới tài nguyên bên ngoài: bị từ chối vì an toàn"))
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 1
        reason = str(exc).split(":")[0]
        bank.error(line, None, mark("XML không hợp lệ: %(reason)s"), reason=reason)
    return None, {}


class _Reader:
    def __init__(self, bank: Bank, lines: dict[int, int]) -> None:
        self.bank = bank
        self.lines = lines
        self.files: dict[str, str] = {}  # reference (path/name) -> saved name
        self.total = 0
        self.name: str | None = None
        self.ok = True

    def line(self, element: ET.Element | None) -> int:
        return self.lines.get(id(element), 1) if element is not None else 1

    def error(self, element: ET.Element | None, template: str, /, **params: Any) -> None:
        self.ok = False
        self.bank.error(self.line(element), self.name, template, **params)

    def note(self, element: ET.Element | None, template: str, /, **params: Any) -> None:
        self.bank.note(self.line(element), self.name, template, **params)

    # --- text and pictures ---------------------------------------------------------

    def picture(self, element: ET.Element) -> None:
        name, path = element.get("name", ""), element.get("path", "/")
        saved, problem = images.safe_name(name, path)
        if problem:
            self.error(element, problem, name=name,
                       allowed=", ".join(sorted(images.SUFFIXES)))
            return
        data, problem, params = images.decode_picture(name, element.text or "")
        if problem:
            self.error(element, problem, **params)
            return
        self.total += len(data)
        if self.total > images.MAX_IMAGES_BYTES:
            self.error(element, mark("các ảnh trong tệp lớn hơn %(limit)d MB"),
                       limit=images.MAX_IMAGES_BYTES // (1024 * 1024))
            return
        if self.bank.images.get(saved, data) != data:
            saved = images.with_hash(saved, data)
        self.bank.images[saved] = data
        folder = (path or "/").strip("/")
        self.files[f"{folder}/{name}" if folder else name] = saved

    def text(self, element: ET.Element | None, default_format: str = "html") -> str:
        if element is None:
            return ""
        for file in element.findall("file"):
            self.picture(file)
        raw = element.findtext("text") or ""
        fmt = element.get("format", default_format)

        def rewrite(match: re.Match[str]) -> str:
            reference = unquote(match.group(1))
            if reference in self.files:
                return "images/" + self.files[reference]
            self.note(element, mark("ảnh '%(name)s' không có trong tệp: bị bỏ"), name=reference)
            return match.group(0)

        raw = _PLUGINFILE.sub(rewrite, raw)
        if fmt == "html" or (fmt == "moodle_auto_format" and looks_like_html(raw)):
            text, dropped = html_to_text(raw)
            for src in dropped:
                if not src.startswith("@@PLUGINFILE@@"):
                    self.note(element, mark("ảnh ngoài '%(src)s' bị bỏ: ảnh phải nằm trong thư "
                                            "mục images/ của khóa học"), src=src)
            return text
        return plain(raw)

    def fraction(self, answer: ET.Element) -> Decimal | None:
        value = parse_number(answer.get("fraction", "0"))
        if value is None or not -FULL <= value <= FULL:
            self.error(answer, mark("điểm '%(fraction)s' của đáp án không hợp lệ"),
                       fraction=answer.get("fraction", ""))
        return value

    # --- questions -----------------------------------------------------------------

    def question(self, element: ET.Element, kind: str, category: str | None):
        self.name = " ".join((element.findtext("name/text") or "").split()) or None
        self.ok = True
        text = self.text(element.find("questiontext"))
        if not text:
            self.error(element, mark("câu hỏi không có lời văn"))
            return None
        general = self.text(element.find("generalfeedback"))
        data = getattr(self, kind)(element, text, general)
        if data is None or not self.ok:
            return None
        return BankQuestion(data, self.line(element), self.name, category)

    def answers(self, element: ET.Element):
        found = []
        for answer in element.findall("answer"):
            fraction = self.fraction(answer)
            if fraction is None:
                return None
            found.append((answer, fraction, self.text(answer, "moodle_auto_format"),
                          self.text(answer.find("feedback"))))
        return found

    def multichoice(self, element: ET.Element, text: str, general: str):
        single = (element.findtext("single") or "true").strip().lower() in ("true", "1")
        answers = self.answers(element)
        if answers is None:
            return None
        if len(answers) < 2:
            self.error(element, mark("cần ít nhất hai lựa chọn"))
            return None
        for answer, _, choice, _ in answers:
            if not choice:
                self.error(answer, mark("lựa chọn trống"))
                return None
        choices = [choice for _, _, choice, _ in answers]
        explained = explanation(general, [(choice, said) for _, _, choice, said in answers])
        if single:
            right = [i for i, (_, fraction, _, _) in enumerate(answers) if fraction == FULL]
            if len(right) > 1:
                self.ok = False
                self.bank.unsupported_question(
                    self.line(element), self.name,
                    mark("%(n)d lựa chọn cùng đúng trong câu một đáp án"), n=len(right))
                return None
            if not right:
                self.error(element, mark("không có đáp án đúng 100%%"))
                return None
            if any(0 < fraction < FULL for _, fraction, _, _ in answers):
                self.note(element, mark("điểm từng phần của các lựa chọn gần đúng bị bỏ: chỉ "
                                        "lựa chọn đúng 100%% được tính"))
            return shapes.single(text, choices, right[0], explained)
        right = [i for i, (_, fraction, _, _) in enumerate(answers) if fraction > 0]
        if not right:
            self.error(element, mark("không có đáp án đúng"))
            return None
        return shapes.multiple(text, choices, right, explained)

    def truefalse(self, element: ET.Element, text: str, general: str):
        answers = self.answers(element)
        if answers is None:
            return None
        right = [choice.strip().lower() for _, fraction, choice, _ in answers if fraction == FULL]
        if len(right) != 1 or right[0] not in ("true", "false"):
            self.error(element, mark("câu đúng/sai cần đúng một đáp án 'true' hoặc 'false' "
                                     "được 100%%"))
            return None
        feedback = sorted(((fraction != FULL, said) for _, fraction, _, said in answers))
        return shapes.true_false(text, right[0] == "true",
                                 explanation(general, [(None, said) for _, said in feedback]))

    def shortanswer(self, element: ET.Element, text: str, general: str):
        answers = self.answers(element)
        if answers is None:
            return None
        accepted = [(choice, said) for _, fraction, choice, said in answers
                    if fraction == FULL and choice]
        if len(accepted) < len(answers):
            self.note(element, mark("%(n)d đáp án không đúng 100%% bị bỏ: câu trả lời ngắn "
                                    "chỉ giữ đáp án đúng"), n=len(answers) - len(accepted))
        if not accepted:
            self.error(element, mark("không có đáp án đúng 100%%"))
            return None
        case = (element.findtext("usecase") or "0").strip() == "1"
        return shapes.short(text, [a for a, _ in accepted], explanation(general, accepted),
                            ignore_case=not case)

    def matching(self, element: ET.Element, text: str, general: str):
        pairs, distractors = [], []
        for sub in element.findall("subquestion"):
            left = self.text(sub)
            right = " ".join((sub.findtext("answer/text") or "").split())
            if not right:
                self.error(sub, mark("cặp ghép thiếu vế phải"))
                return None
            if left:
                pairs.append((left, right))
            else:  # an extra answer: a right-side item that matches nothing
                distractors.append(right)
        if len(pairs) < 2:
            self.error(element, mark("cần ít nhất hai cặp ghép"))
            return None
        return shapes.matching(text, pairs, explanation(general, []), distractors)

    def numerical(self, element: ET.Element, text: str, general: str):
        accepted, feedback, dropped = [], [], 0
        for answer in element.findall("answer"):
            fraction = self.fraction(answer)
            if fraction is None:
                return None
            raw = (answer.findtext("text") or "").strip()
            said = self.text(answer.find("feedback"))
            if raw == "*":
                feedback.append((None, said))
                continue
            value = parse_number(raw)
            tolerance = parse_number(answer.findtext("tolerance") or "0")
            if value is None or tolerance is None or tolerance < 0:
                self.error(answer, mark("'%(text)s' không phải số"), text=raw)
                return None
            if fraction == FULL:
                accepted.append(shapes.Number(value=value, tolerance=tolerance))
                feedback.insert(len(accepted) - 1, (None, said))
            else:
                dropped += 1
        if dropped:
            self.note(element, mark("%(n)d đáp án không đúng 100%% bị bỏ: câu số chỉ giữ đáp "
                                    "án đúng"), n=dropped)
        if any((unit.findtext("unit_name") or "").strip() for unit in element.iter("unit")):
            self.note(element, mark("đơn vị đo của câu số bị bỏ: chỉ chấm con số"))
        if not accepted:
            self.error(element, mark("không có đáp án số đúng 100%%"))
            return None
        return shapes.numerical(text, accepted, explanation(general, feedback))


def read_moodle_xml(data: bytes, file: str) -> Bank:
    bank = Bank(file)
    root, lines = parse_xml(data, bank)
    if root is None:
        return bank
    if root.tag != "quiz":
        bank.error(lines.get(id(root), 1), None,
                   mark("tệp Moodle XML bắt đầu bằng <quiz>, không phải <%(tag)s>"), tag=root.tag)
        return bank
    reader = _Reader(bank, lines)
    category = None
    for element in root.findall("question"):
        kind = element.get("type", "")
        if kind == "category":
            category = (element.findtext("category/text") or "").strip() or None
            continue
        if kind not in SUPPORTED:
            name = " ".join((element.findtext("name/text") or "").split()) or None
            bank.unsupported_question(reader.line(element), name,
                                      mark("loại '%(kind)s' chưa được hỗ trợ"), kind=kind or "?")
            continue
        question = reader.question(element, kind, category)
        if question is not None:
            bank.questions.append(question)
    return bank


# --- writing -----------------------------------------------------------------------


class ExportError(Exception):
    pass


def _field(tag: str, text: str, fmt: str = "plain_text", files: str = "",
           indent: str = "    ") -> str:
    return (f"{indent}<{tag} format={quoteattr(fmt)}>\n{indent}  <text>{xml_escape(text)}</text>"
            f"\n{files}{indent}</{tag}>\n")


def _rich(tag: str, text: str, images_dir: Path | None) -> str:
    """A text field; pictures become @@PLUGINFILE@@ references with their <file>."""
    files: list[str] = []

    def attach(match: re.Match[str]) -> str:
        name = match.group(2)
        path = (images_dir / name) if images_dir else None
        if path is None or not path.is_file() or "/" in name or name.startswith("."):
            raise ExportError(f"image images/{name} not found in the course folder")
        import base64

        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        files.append(f'      <file name={quoteattr(name)} path="/" encoding="base64">'
                     f"{encoded}</file>\n")
        return f"{match.group(1)}@@PLUGINFILE@@/{quote(name)})"

    rewritten = _MARKDOWN_IMAGE.sub(attach, text)
    fmt = "markdown" if files else "plain_text"
    return _field(tag, rewritten, fmt, "".join(files))


def _answer(fraction: str, text: str) -> str:
    return (f'    <answer fraction="{fraction}" format="plain_text">\n'
            f"      <text>{xml_escape(text)}</text>\n"
            '      <feedback format="plain_text">\n        <text></text>\n      </feedback>\n'
            "    </answer>\n")


def write_moodle_xml(questions: list[dict[str, Any]], category: str | None = None,
                     images_dir: Path | None = None) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n']
    current = None
    for question in questions:
        wanted = category_of(question, category)
        if wanted != current:
            out.append('  <question type="category">\n    <category>\n'
                       f"      <text>{xml_escape(wanted)}</text>\n"
                       "    </category>\n  </question>\n")
            current = wanted
        kind = question["type"]
        moodle_kind = {"single": "multichoice", "multiple": "multichoice",
                       "true_false": "truefalse", "short": "shortanswer",
                       "matching": "matching", "numerical": "numerical"}.get(kind)
        if moodle_kind is None:
            raise ExportError(f"question {question['id']}: type {kind} has no Moodle XML form")
        parts = [f'  <question type="{moodle_kind}">\n',
                 f"    <name>\n      <text>{xml_escape(question['id'])}</text>\n    </name>\n",
                 _rich("questiontext", question["text"], images_dir),
                 _rich("generalfeedback", question.get("explanation") or "", images_dir),
                 "    <defaultgrade>1</defaultgrade>\n    <penalty>0</penalty>\n"
                 "    <hidden>0</hidden>\n"]
        if kind in ("single", "multiple"):
            right = shapes.right_choices(question)
            share = "100" if kind == "single" else multiple_weights(len(right))
            wrong = "0" if kind == "single" else "-100"
            parts.append(f"    <single>{'true' if kind == 'single' else 'false'}</single>\n"
                         "    <shuffleanswers>true</shuffleanswers>\n"
                         "    <answernumbering>abc</answernumbering>\n")
            parts += [_answer(share if i in right else wrong, choice)
                      for i, choice in enumerate(question["choices"])]
        elif kind == "true_false":
            parts += [_answer("100" if question["answer"] else "0", "true"),
                      _answer("0" if question["answer"] else "100", "false")]
        elif kind == "short":
            parts.append(f"    <usecase>{0 if shapes.ignores_case(question) else 1}</usecase>\n")
            parts += [_answer("100", a) for a in shapes.short_answers(question)]
        elif kind == "matching":
            parts.append("    <shuffleanswers>true</shuffleanswers>\n")
            parts += [f'    <subquestion format="plain_text">\n'
                      f"      <text>{xml_escape(left)}</text>\n"
                      f"      <answer>\n        <text>{xml_escape(right)}</text>\n"
                      "      </answer>\n    </subquestion>\n"
                      for left, right in shapes.pairs(question)]
            parts += ['    <subquestion format="plain_text">\n      <text></text>\n'
                      f"      <answer>\n        <text>{xml_escape(extra)}</text>\n"
                      "      </answer>\n    </subquestion>\n"
                      for extra in shapes.distractors(question)]
        else:
            for number in shapes.numbers(question):
                low, high = number.bounds()
                value, tolerance = ((number.value, number.tolerance) if not number.is_range
                                    else ((low + high) / 2, (high - low) / 2))
                parts.append(f'    <answer fraction="100" format="plain_text">\n'
                             f"      <text>{format_number(value)}</text>\n"
                             f"      <tolerance>{format_number(tolerance)}</tolerance>\n"
                             '      <feedback format="plain_text">\n        <text></text>\n'
                             "      </feedback>\n    </answer>\n")
            parts.append("    <unitgradingtype>0</unitgradingtype>\n"
                         "    <unitpenalty>0</unitpenalty>\n    <showunits>3</showunits>\n"
                         "    <unitsleft>0</unitsleft>\n")
        parts.append("  </question>\n")
        out.append("".join(parts))
    out.append("</quiz>\n")
    return "".join(out)
