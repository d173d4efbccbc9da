"""quiz.yml written the way authors write it, and merged without reformatting.

Questions are emitted as block mappings in a block list (``  - id: ...``), every
text double-quoted (so ``"Có"``, ``"yes"`` or ``"156"`` stay text), lists of
numbers in flow style (``answer: [0, 2]``), pairs and ranges as flow items. A
merge replaces only the lines of the questions that changed and appends the new
ones after the last question, so comments and the rest of the file stay as they
were and the git diff shows only what the bank changed.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import yaml

from lms.courses.banks.textfmt import format_number

# What PyYAML refuses raw in a stream, plus the characters YAML reads as line breaks.
_UNSAFE = re.compile("[^\x09\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd"
                     "\U00010000-\U0010ffff]")
_PLAIN = re.compile(r"[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*")
_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"}
PLAIN_KEYS = {"id", "type", "tags"}
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


_NEEDS_ESCAPE = re.compile('["\\\\\x00-\x1f]|' + _UNSAFE.pattern)


def quoted(text: str) -> str:
    if not _NEEDS_ESCAPE.search(text):
        return f'"{text}"'
    return _UNSAFE.sub(_escape, json.dumps(text, ensure_ascii=False))


def scalar(value: Any, plain: bool = False) -> str:
    if type(value) is str:
        if plain and _PLAIN.fullmatch(value) and value not in _WORDS:
            return value
        return quoted(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        text = format_number(Decimal(repr(value)) if isinstance(value, float) else value)
        return text
    text = str(value)
    if plain and _PLAIN.fullmatch(text) and text not in _WORDS:
        return text
    return quoted(text)


def flow(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in value.items()) + "}"
    return scalar(value)


def setting(value: Any) -> str:
    return flow(value) if isinstance(value, list | dict) else scalar(value, plain=True)


def _is_number_list(value: list[Any]) -> bool:
    return all(isinstance(v, int | float | bool) for v in value)


def question_lines(question: dict[str, Any], dash: int = 2) -> list[str]:
    """One question as a block list item, its dash at column ``dash``."""
    pad = " " * (dash + 2)
    lines = []
    for i, (key, value) in enumerate(question.items()):
        lead = (" " * dash + "- ") if i == 0 else pad
        if key in PLAIN_KEYS and isinstance(value, list):
            lines.append(f"{lead}{key}: [{', '.join(scalar(v, True) for v in value)}]")
        elif isinstance(value, list) and value and not _is_number_list(value):
            lines.append(f"{lead}{key}:")
            lines += [f"{pad}  - {flow(item)}" for item in value]
        elif isinstance(value, list | dict):
            lines.append(f"{lead}{key}: {flow(value)}")
        else:
            lines.append(f"{lead}{key}: {scalar(value, key in PLAIN_KEYS)}")
    return lines


def render(settings: dict[str, Any], questions: list[dict[str, Any]]) -> str:
    """A whole quiz.yml: its settings, then the questions."""
    lines = [f"{key}: {setting(value)}" for key, value in settings.items()]
    lines.append("questions:")
    for question in questions:
        lines += question_lines(question)
    return "\n".join(lines) + "\n"


_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"


class _Fallback(Exception):
    """Something the lean reader leaves to PyYAML (merge keys, tagged collections)."""


@dataclass
class Shape:
    """Where things are in a quiz.yml: its top-level keys (line of the key, line where
    the value ends) and each question's start and end marks, when the file is a block
    mapping with a block list of questions."""

    block: bool = False
    keys: dict[str, tuple[int, int]] = field(default_factory=dict)
    questions_line: int = -1
    questions_block: bool = False
    items: list[tuple[Any, Any]] = field(default_factory=list)


class _Frame:
    __slots__ = ("container", "is_map", "key", "key_line", "start", "questions")

    def __init__(self, container: Any, start: Any, questions: bool = False) -> None:
        self.container = container
        self.is_map = isinstance(container, dict)
        self.key: Any = _Frame
        self.key_line = 0
        self.start = start
        self.questions = questions


def load(text: str) -> tuple[Shape, Any]:
    """quiz.yml's data (as ``yaml.safe_load`` gives it) and its :class:`Shape`, from
    libyaml's events: several times faster than composing a node tree, which matters
    for a 10 MB bank imported again."""
    try:
        return _load_events(text)
    except _Fallback:
        return Shape(), yaml.load(text, Loader=Loader)


def _load_events(text: str) -> tuple[Shape, Any]:
    shape = Shape()
    resolver = yaml.resolver.Resolver()
    constructor = yaml.constructor.SafeConstructor()
    tags: dict[str, str] = {}
    values: dict[tuple[str, str], Any] = {}
    anchors: dict[str, Any] = {}
    stack: list[_Frame] = []
    root: Any = None

    def add(value: Any, start: Any, end: Any) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        frame = stack[-1]
        if not frame.is_map:
            frame.container.append(value)
            if frame.questions:
                shape.items.append((start, end))
        elif frame.key is _Frame:
            try:
                hash(value)
            except TypeError:
                raise _Fallback from None
            frame.key, frame.key_line = value, start.line
        else:
            frame.container[frame.key] = value
            if len(stack) == 1 and isinstance(frame.key, str):
                shape.keys[frame.key] = (frame.key_line, end.line)
            frame.key = _Frame

    def scalar(event: Any) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            if event.style or not event.implicit[0]:
                return event.value
            tag = tags.get(event.value)
            if tag is None:
                tag = tags[event.value] = resolver.resolve(yaml.ScalarNode, event.value,
                                                           (True, False))
        if tag == _STR:
            return event.value
        if tag == "tag:yaml.org,2002:merge":
            raise _Fallback
        key = (tag, event.value)
        if key not in values:
            values[key] = constructor.construct_object(
                yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark,
                                event.style), deep=True)
        return values[key]

    for event in yaml.parse(text, Loader=Loader):
        kind = type(event)
        if kind is yaml.ScalarEvent:
            value = scalar(event)
            if event.anchor:
                anchors[event.anchor] = value
            add(value, event.start_mark, event.end_mark)
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            if event.tag not in (None, "!", _MAP if kind is yaml.MappingStartEvent else _SEQ):
                raise _Fallback
            container: Any = {} if kind is yaml.MappingStartEvent else []
            if event.anchor:
                anchors[event.anchor] = container
            questions = (len(stack) == 1 and stack[0].is_map and stack[0].key == "questions"
                         and kind is yaml.SequenceStartEvent)
            if questions:
                shape.questions_line = stack[0].key_line
                shape.questions_block = not event.flow_style
            elif not stack:
                shape.block = kind is yaml.MappingStartEvent and not event.flow_style
            stack.append(_Frame(container, event.start_mark, questions))
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            frame = stack.pop()
            add(frame.container, frame.start, event.end_mark)
        elif kind is yaml.AliasEvent:
            if event.anchor not in anchors:
                raise _Fallback
            add(anchors[event.anchor], event.start_mark, event.end_mark)
    return shape, root


class Layout:
    """Where each question of an existing quiz.yml is written (block style only)."""

    def __init__(self, text: str, shape: Shape) -> None:
        self.text = text
        self.shape = shape
        self.lines = text.splitlines(keepends=True)
        self.ranges: list[tuple[int, int]] = []  # [first, end) line indexes per question
        self.keys = shape.keys
        self.dash = 2
        self.questions_line = shape.questions_line
        self.ok = self._read()

    def _read(self) -> bool:
        shape = self.shape
        if not shape.block or shape.questions_line < 0 or not shape.questions_block \
                or not shape.items:
            return False
        starts = []
        for start, _end in shape.items:
            line = start.line
            while line > 0 and not self.lines[line].lstrip().startswith("-"):
                line -= 1
            starts.append(line)
        self.dash = len(self.lines[starts[0]]) - len(self.lines[starts[0]].lstrip())
        last = shape.items[-1][1]
        end = last.line + (1 if last.column > 0 else 0)
        end = min(end, len(self.lines))
        while end > starts[-1] + 1 and not self.lines[end - 1].strip():
            end -= 1
        for i, start in enumerate(starts):
            self.ranges.append((start, starts[i + 1] if i + 1 < len(starts) else end))
        return True

    def merge(self, replaced: dict[int, dict[str, Any]], added: list[dict[str, Any]],
              settings: dict[str, Any]) -> str:
        """The file with questions ``replaced`` (by position), ``added`` after the last
        one, and top-level ``settings`` set (a changed line, or a new one before
        ``questions:``)."""
        out = list(self.lines)
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        # Bottom up, so earlier line numbers stay right.
        edits: list[tuple[int, int, list[str]]] = []
        last_end = self.ranges[-1][1]
        if added:
            block = [line for q in added for line in question_lines(q, self.dash)]
            edits.append((last_end, last_end, block))
        for index, question in replaced.items():
            start, end = self.ranges[index]
            # Keep the blank lines and comments that close the item's range.
            keep_from = end
            while keep_from > start + 1 and (not out[keep_from - 1].strip() or
                                            out[keep_from - 1].lstrip().startswith("#")):
                keep_from -= 1
            edits.append((start, keep_from, question_lines(question, self.dash)))
        for key, value in settings.items():
            if key in self.keys:
                first, last = self.keys[key]
                edits.append((first, max(first + 1, last if last > first else first + 1),
                              [f"{key}: {setting(value)}"]))
            else:
                edits.append((self.questions_line, self.questions_line,
                              [f"{key}: {setting(value)}"]))
        for start, end, block in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
            out[start:end] = [line + "\n" for line in block]
        return "".join(out)
