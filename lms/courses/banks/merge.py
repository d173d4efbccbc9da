"""A bank merged into a course's quiz.yml, with ids that stay put.

An imported question keeps the id of the quiz.yml question with the same text
(ignoring case, marks and spacing); otherwise its id comes from its title
(``::Mật khẩu mạnh::`` or the Moodle name: ``mat-khau-manh``), or from a hash of
its text when it has none, and an existing question with that id is the one it
updates. So importing the same bank again, or a corrected one, changes what
changed and adds what is new; a question removed from the bank stays in quiz.yml
(remove it by hand).

The whole result is checked by the question-type registry before anything is
written; pictures are written first, quiz.yml last (by rename), and nothing at
all when there is any problem.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from lms.courses.banks import shapes, yamlout
from lms.courses.banks.bank import Bank, BankQuestion
from lms.courses.banks.images import IMAGE_REFERENCE, with_hash
from lms.courses.banks.problems import BankProblem
from lms.courses.banks.textfmt import exact_key, hash_id, slugify, text_key
from lms.courses.loader import IMAGE_REF, _check_image
from lms.learning.questions import COMMON_KEYS, REGISTRY, Where, check_question, to_yaml
from lms.util.i18n import mark
from lms.util.text import fold

DEFAULT_SETTINGS = {"pass_percent": 80}
# Moodle's own category names say nothing about the questions.
_NOT_TAGS = {"top", "$course$", "$system$", "$module$", "$cat1$"}
_DEFAULT_PREFIXES = ("default for ", "mac dinh cho ")


@dataclass
class Change:
    kind: str  # "new", "changed" or "unchanged"
    id: str
    question: BankQuestion
    keys: list[str] = field(default_factory=list)  # what changed, for a changed question


@dataclass
class ImportPlan:
    folder: Path
    problems: list[BankProblem] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    skipped: list[BankProblem] = field(default_factory=list)
    notes: list[BankProblem] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)  # new files for images/
    settings: dict[str, Any] = field(default_factory=dict)  # quiz settings set
    text: str | None = None  # the new quiz.yml; None when it stays as it is
    rewritten: bool = False  # written whole (comments lost) rather than merged
    unsupported: int = 0  # unsupported questions among the problems

    @property
    def quiz_path(self) -> Path:
        return self.folder / "quiz.yml"

    def count(self, kind: str) -> int:
        return sum(1 for change in self.changes if change.kind == kind)


@lru_cache(maxsize=1024)  # a bank has few categories and many questions in each
def category_tag(category: str | None, course: str) -> str | None:
    """The tag a category gives its questions (so that ``draw: {tag: N}`` can pool
    them): its last part. In a Moodle path (``$course$/top/...``) the first level
    below top is the bank itself (``Default for ...``, or the course an export came
    from), so only a deeper level is a tag; a bare category (``$CATEGORY: mat-khau``,
    written for this platform) is one at any level."""
    if not category:
        return None
    parts = [p.strip() for p in category.split("/") if p.strip()]
    moodle_path = bool(parts) and parts[0] in _NOT_TAGS
    while parts and parts[0] in _NOT_TAGS:
        parts.pop(0)
    if not parts or (moodle_path and len(parts) < 2):
        return None
    if fold(parts[-1]).startswith(_DEFAULT_PREFIXES):
        return None
    tag = slugify(parts[-1])
    return tag if tag and tag != course else None


def _read_quiz(path: Path, plan: ImportPlan) -> tuple[str | None, Any, Any]:
    if not path.is_file():
        return None, None, None
    def problem(line: int, template: str, **params: Any) -> None:
        plan.problems.append(BankProblem(str(path), line, template, params))

    try:
        text = path.read_text("utf-8")
        root, data = yamlout.load(text)  # root: the file's Shape
    except UnicodeDecodeError:
        problem(1, mark("quiz.yml không phải văn bản UTF-8"))
        return None, None, None
    except yaml.YAMLError as exc:
        mark_ = getattr(exc, "problem_mark", None)
        problem(mark_.line + 1 if mark_ else 1,
                mark("quiz.yml hiện có lỗi YAML, hãy sửa trước: %(error)s"),
                error=getattr(exc, "problem", None) or str(exc))
        return None, None, None
    if data is None:
        return text, None, {}
    if not isinstance(data, dict) or not isinstance(data.get("questions") or [], list):
        problem(1, mark("quiz.yml hiện có không đúng dạng (cần pass_percent:, questions: ...), "
                        "hãy sửa trước"))
        return None, None, None
    return text, root, data


def _canonical(raw: Any) -> dict[str, Any] | None:
    """An existing question as the registry reads it (None when it is not valid)."""
    question, _problems, _warnings = check_question(raw, Where("quiz.yml"),
                                                    explanations_required=False)
    return to_yaml(question) if question is not None else None


def _rename_images(data: dict[str, Any], renamed: dict[str, str]) -> None:
    def fix(text: str) -> str:
        return IMAGE_REFERENCE.sub(
            lambda m: "images/" + renamed.get(m.group(1), m.group(1)), text)

    for key in ("text", "explanation"):
        if isinstance(data.get(key), str):
            data[key] = fix(data[key])


def plan_import(folder: Path, bank: Bank, *, skip_unsupported: bool = False) -> ImportPlan:
    plan = ImportPlan(Path(folder))
    plan.problems += bank.errors
    plan.notes += bank.notes
    if skip_unsupported:
        plan.skipped += bank.unsupported
    else:
        plan.problems += bank.unsupported
        plan.unsupported = len(bank.unsupported)
    if not bank.questions and not plan.problems:
        plan.problems.append(BankProblem(bank.file, 1, mark("tệp không có câu hỏi nào nhập "
                                                            "được")))
    text, root, existing = _read_quiz(plan.quiz_path, plan)
    if plan.problems:
        return plan
    existing = existing or {}
    old: list[Any] = list(existing.get("questions") or [])

    # Pictures: one already in images/ with other bytes is saved under another name.
    renamed: dict[str, str] = {}
    images_dir = plan.folder / "images"
    for name, data in bank.images.items():
        target = images_dir / name
        if target.is_file() and target.read_bytes() == data:
            continue
        if target.exists() or target.is_symlink():
            renamed[name] = with_hash(name, data)
            target = images_dir / renamed[name]
            if target.is_file() and target.read_bytes() == data:
                continue
        plan.images[target.name] = data

    # Ids: the same text keeps its id; else the title's slug or the text's hash.
    by_exact: dict[str, int] = {}
    by_id: dict[str, int] = {}
    for index, raw in enumerate(old):
        if isinstance(raw, dict) and isinstance(raw.get("id"), str):
            if isinstance(raw.get("text"), str):
                by_exact.setdefault(exact_key(raw["text"]), index)
            by_id.setdefault(raw["id"], index)
    by_folded: dict[str, int] | None = None

    def same_text(text: str) -> int | None:
        """The existing question with this text: the same spacing first (cheap), else
        the same folded text (case and marks aside), built only when needed."""
        nonlocal by_folded
        index = by_exact.get(exact_key(text))
        if index is not None or not by_exact:
            return index
        if by_folded is None:
            by_folded = {}
            for key, i in by_exact.items():
                by_folded.setdefault(text_key(key), i)
        return by_folded.get(text_key(text))

    used: set[str] = set()
    replaced: dict[int, dict[str, Any]] = {}
    added: list[dict[str, Any]] = []
    final_explanations = True
    for question in bank.questions:
        data = dict(question.data)
        _rename_images(data, renamed)
        tag = category_tag(question.category, plan.folder.name)
        if tag:
            data["tags"] = [tag]
        index = same_text(data["text"])
        if index is not None and old[index].get("id") not in used:
            qid = old[index]["id"]
        else:
            base = (slugify(question.title) if question.title else "") or hash_id(data["text"])
            index = by_id.get(base)
            qid = base
            if index is None or base in used:
                index, number = None, 2
                while qid in used or qid in by_id:
                    qid, number = f"{base}-{number}", number + 1
        used.add(qid)
        if index is not None:
            merged = {k: v for k, v in old[index].items() if k not in shapes.CONTENT_KEYS}
            merged.update(data)
            kind = REGISTRY.get(merged["type"])
            allowed = set(COMMON_KEYS) | set(kind.keys if kind else ())
            raw = {k: v for k, v in merged.items() if k in allowed}
        else:
            raw = data
        raw["id"] = qid
        if index is not None and raw == old[index]:  # a re-import: nothing to check again
            final_explanations &= bool(raw.get("explanation"))
            plan.changes.append(Change("unchanged", qid, question))
            continue
        checked, found, _ = check_question(raw, Where(bank.file, question.line),
                                           explanations_required=False)
        if checked is None:
            plan.problems += [BankProblem(bank.file, p.line, p.message.replace("%", "%%"), {},
                                          question.name) for p in found]
            continue
        written = to_yaml(checked)
        for ref in IMAGE_REF.findall(written["text"]):
            name = ref[len("images/"):] if ref.startswith("images/") else None
            problem = None if name in plan.images else _check_image(plan.folder, ref)
            if problem:
                plan.problems.append(BankProblem(
                    bank.file, question.line,
                    mark("%(problem)s (chép ảnh vào thư mục images/ của khóa học trước khi "
                         "nhập)"), {"problem": problem}, question.name))
        final_explanations &= bool(written.get("explanation"))
        if index is None:
            added.append(written)
            plan.changes.append(Change("new", qid, question))
        else:
            before = _canonical(old[index]) or {}
            if before == written:
                plan.changes.append(Change("unchanged", qid, question))
            else:
                replaced[index] = written
                keys = [k for k in dict.fromkeys([*before, *written])
                        if before.get(k) != written.get(k)]
                plan.changes.append(Change("changed", qid, question, keys))
    if plan.problems:
        return plan

    for index, raw in enumerate(old):
        if index not in replaced and isinstance(raw, dict) and not raw.get("explanation") \
                and raw.get("id") not in used:
            final_explanations = False
    if not final_explanations and existing.get("explanations") != "optional":
        plan.settings["explanations"] = "optional"
    if not replaced and not added and not plan.settings:
        return plan

    layout = yamlout.Layout(text, root) if root is not None else None
    if layout is not None and layout.ok:
        plan.text = layout.merge(replaced, added, plan.settings)
    else:
        plan.rewritten = text is not None
        settings = {k: v for k, v in existing.items() if k != "questions"} or dict(
            DEFAULT_SETTINGS)
        settings.update(plan.settings)
        questions = [replaced.get(i, raw) for i, raw in enumerate(old)] + added
        plan.text = yamlout.render(settings, questions)
    return plan


def apply(plan: ImportPlan) -> None:
    """Write the pictures, then quiz.yml (atomically). Only for a plan without problems."""
    assert not plan.problems
    written: list[Path] = []
    try:
        if plan.images:
            images_dir = plan.folder / "images"
            images_dir.mkdir(exist_ok=True)
            for name, data in plan.images.items():
                path = images_dir / name
                with open(path, "xb") as handle:
                    written.append(path)
                    handle.write(data)
        if plan.text is not None:
            handle, temporary = tempfile.mkstemp(prefix=".quiz-", suffix=".yml.tmp",
                                                 dir=plan.folder)
            try:
                with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
                    out.write(plan.text)
                if plan.quiz_path.exists():
                    os.chmod(temporary, plan.quiz_path.stat().st_mode & 0o777)
                else:
                    os.chmod(temporary, 0o644)
                os.replace(temporary, plan.quiz_path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
