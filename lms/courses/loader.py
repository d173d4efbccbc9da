"""Reading and checking course folders (format in DESIGN.md, "Courses").

Everything here is pure: it reads files and returns data and problems; it
never touches the database. ``sync`` stores what this module returns.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from lms.courses import currency
from lms.courses.competencies import COMPETENCIES
from lms.courses.pictures import svg_problem
from lms.courses.problems import Problem
from lms.courses.yamlfile import YamlFile
from lms.learning.pools import check_draw
from lms.learning.questions import REGISTRY, Where, check_question
from lms.org.models import LEVELS

AUDIENCES = ("official", "citizen", "business")
MAX_DAYS = 36_500
QUESTION_TYPES = tuple(REGISTRY)  # lms/learning/questions: one module per type
COURSE_KEYS = {
    "title", "summary", "audiences", "hours", "required_for", "due_days",
    "valid_days", "tags", "competencies", "reviewed_on", "sources",
}
RULE_KEYS = {"audience", "leaders", "it_officers", "levels"}
QUIZ_KEYS = {"pass_percent", "max_attempts", "shuffle", "questions", "draw",
             "cooldown_minutes", "time_limit_minutes", "explanations"}
MAX_COOLDOWN_MINUTES = 30 * 24 * 60
MAX_TIME_LIMIT_MINUTES = 24 * 60

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LESSON_FILE = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)\.md$")
IMAGE_REF = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)")
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg"}


@dataclass
class LessonSource:
    slug: str
    position: int
    title: str
    markdown: str
    file: Path


@dataclass
class CourseSource:
    slug: str
    folder: Path
    meta: dict[str, Any]
    lessons: list[LessonSource]
    quiz: dict[str, Any] | None
    content_hash: str


@dataclass
class CheckResult:
    courses: list[CourseSource] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Not errors: what `courses check --warnings` lists (questions without an
    # explanation in a quiz whose explanations are optional).
    warnings: list[Problem] = field(default_factory=list)
    # Is the content current (lms/courses/currency.py)? A review date, legal sources,
    # a '## Nguồn' section per lesson, no superseded document cited as current.
    currency: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_courses(root: Path, today: date | None = None) -> CheckResult:
    """Load every course folder under ``root`` and collect every problem.

    Files beside the folders are not courses; ``superseded.yml`` among them lists
    replaced documents for the currency warnings (as of ``today``)."""
    result = CheckResult()
    root = Path(root)
    if not root.is_dir():
        result.problems.append(Problem(root, 1, "courses folder not found"))
        return result
    today = today or date.today()
    superseded = currency.load_superseded(root, result.problems)
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")):
        course, problems = load_course(folder, result.warnings)
        result.problems.extend(problems)
        if course is not None and not problems:
            result.courses.append(course)
            result.currency.extend(currency.course_warnings(
                folder / "course.yml", YamlFile(folder / "course.yml"), course.meta,
                superseded, today))
            for lesson in course.lessons:
                result.currency.extend(currency.lesson_warnings(
                    lesson.file, lesson.markdown, superseded, today))
    return result


def load_course(folder: Path, warnings: list[Problem] | None = None
                ) -> tuple[CourseSource | None, list[Problem]]:
    problems: list[Problem] = []
    warnings = [] if warnings is None else warnings
    slug = folder.name
    if not SLUG.match(slug):
        problems.append(Problem(folder, 1, "folder name must be a slug: lowercase a-z, 0-9, -"))
    course_file = folder / "course.yml"
    if not course_file.is_file():
        problems.append(Problem(course_file, 1, "course.yml is missing"))
        return None, problems
    meta = _check_course_yml(YamlFile(course_file), problems)
    lessons = _load_lessons(folder, problems)
    quiz = None
    quiz_file = folder / "quiz.yml"
    if quiz_file.is_file():
        quiz = _check_quiz(YamlFile(quiz_file), problems, warnings)
    if meta is None:
        return None, problems
    return (
        CourseSource(slug, folder, meta, lessons, quiz, _hash_folder(folder)),
        problems,
    )


def _hash_folder(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_course_yml(doc: YamlFile, problems: list[Problem]) -> dict[str, Any] | None:
    def problem(message: str, *path: Any) -> None:
        problems.append(Problem(doc.path, doc.line(*path), message))

    if doc.error:
        problems.append(Problem(doc.path, *doc.error))
        return None
    data = doc.data
    if not isinstance(data, dict):
        problem("course.yml must be a mapping of keys (title:, summary:, ...)")
        return None
    for key in data:
        if key not in COURSE_KEYS:
            problem(f"unknown key '{key}' (expected one of: {', '.join(sorted(COURSE_KEYS))})",
                    key)
    meta: dict[str, Any] = {}

    for key in ("title", "summary"):
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            problem(f"'{key}' is required and must be text", key)
        else:
            meta[key] = value.strip()

    audiences = data.get("audiences")
    if not isinstance(audiences, list) or not audiences:
        problem("'audiences' is required: a list of official, citizen, business", "audiences")
    else:
        for i, audience in enumerate(audiences):
            if audience not in AUDIENCES:
                problem(f"unknown audience '{audience}' (use {', '.join(AUDIENCES)})",
                        "audiences", i)
        meta["audiences"] = [a for a in audiences if a in AUDIENCES]

    hours = data.get("hours", 1)
    if isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0:
        problem("'hours' must be a positive number", "hours")
    else:
        meta["hours"] = float(hours)

    for key in ("due_days", "valid_days"):
        value = data.get(key)
        # Up to a century: a larger value pushes due dates past what a date can hold.
        if value is not None and (not _is_int(value) or not 0 < value <= MAX_DAYS):
            problem(f"'{key}' must be a whole number of days from 1 to {MAX_DAYS}", key)
        meta[key] = value if _is_int(value) and 0 < value <= MAX_DAYS else None

    rules = data.get("required_for") or []
    meta["required_for"] = []
    if not isinstance(rules, list):
        problem("'required_for' must be a list of rules", "required_for")
    else:
        for i, rule in enumerate(rules):
            checked = _check_rule(rule, lambda m, *p, i=i: problem(m, "required_for", i, *p))
            if checked is not None:
                meta["required_for"].append(checked)
    if meta["required_for"] and "official" not in meta.get("audiences", []):
        problem("'required_for' applies to officials, so 'audiences' must include official",
                "required_for")

    for key, known in (("tags", None), ("competencies", COMPETENCIES)):
        values = data.get(key) or []
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problem(f"'{key}' must be a list of words", key)
            meta[key] = []
            continue
        if known is not None:
            for i, value in enumerate(values):
                if value not in known:
                    problem(f"unknown competency '{value}' (known: {', '.join(known)})", key, i)
        meta[key] = list(values)
    meta.update(currency.check_review_meta(data, problem))
    return meta if not any(p.file == doc.path for p in problems) else None


def _check_rule(rule: Any, problem) -> dict[str, Any] | None:
    if not isinstance(rule, dict):
        problem("a rule must be a mapping such as {audience: official}")
        return None
    bad = [k for k in rule if k not in RULE_KEYS]
    for key in bad:
        problem(f"unknown rule key '{key}' (use {', '.join(sorted(RULE_KEYS))})", key)
    if rule.get("audience") != "official":
        problem("a rule needs 'audience: official' (only officials have required courses)",
                "audience")
    for key in ("leaders", "it_officers"):
        if key in rule and not isinstance(rule[key], bool):
            problem(f"'{key}' must be true or false", key)
    levels = rule.get("levels")
    if levels is not None:
        if not isinstance(levels, list) or not levels:
            problem("'levels' must be a list of unit levels", "levels")
        else:
            for i, level in enumerate(levels):
                if level not in LEVELS:
                    problem(f"unknown level '{level}' (use {', '.join(LEVELS)})", "levels", i)
    return None if bad else dict(rule)


def _load_lessons(folder: Path, problems: list[Problem]) -> list[LessonSource]:
    lessons: list[LessonSource] = []
    numbers: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")):
        match = LESSON_FILE.match(path.name)
        if not match:
            if path.name.lower() != "readme.md":
                problems.append(Problem(path, 1, "lesson files are named NN-slug.md "
                                        "(two digits, lowercase slug), e.g. 01-gioi-thieu.md"))
            continue
        number, slug = match.groups()
        if number in numbers:
            problems.append(Problem(path, 1, f"lesson number {number} is also used by "
                                    f"{numbers[number].name}"))
        numbers[number] = path
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            problems.append(Problem(path, 1, "file is not UTF-8 text"))
            continue
        title = None
        for line in text.splitlines():
            if line.strip():
                if line.startswith("# "):
                    title = line[2:].strip()
                break
        if not title:
            problems.append(Problem(path, 1, "a lesson starts with its title as '# Heading'"))
            continue
        for lineno, line in enumerate(text.splitlines(), start=1):
            for ref in IMAGE_REF.findall(line):
                problem = _check_image(folder, ref)
                if problem:
                    problems.append(Problem(path, lineno, problem))
        lessons.append(LessonSource(slug, int(number), title, text, path))
    if not lessons:
        problems.append(Problem(folder, 1, "a course needs at least one lesson (NN-slug.md)"))
    return lessons


def _check_image(folder: Path, ref: str) -> str | None:
    if "://" in ref or ref.startswith(("/", "data:")):
        return f"image '{ref}' must be a file in the course folder (no external images)"
    target = (folder / ref).resolve()
    if folder.resolve() not in target.parents:
        return f"image '{ref}' points outside the course folder"
    if target.suffix.lower() not in IMAGE_SUFFIXES:
        return f"image '{ref}' is not an image file ({', '.join(sorted(IMAGE_SUFFIXES))})"
    if not target.is_file():
        return f"image '{ref}' not found"
    if target.suffix.lower() == ".svg":
        problem = svg_problem(target)
        if problem:
            return f"image '{ref}' {problem}"
    return None


def _check_quiz(doc: YamlFile, problems: list[Problem],
                warnings: list[Problem]) -> dict[str, Any] | None:
    before = len(problems)

    def problem(message: str, *path: Any) -> None:
        problems.append(Problem(doc.path, doc.line(*path), message))

    if doc.error:
        problems.append(Problem(doc.path, *doc.error))
        return None
    data = doc.data
    if not isinstance(data, dict):
        problem("quiz.yml must be a mapping with pass_percent:, questions:, ...")
        return None
    for key in data:
        if key not in QUIZ_KEYS:
            problem(f"unknown key '{key}' (expected one of: {', '.join(sorted(QUIZ_KEYS))})", key)
    pass_percent = data.get("pass_percent", 80)
    if not _is_int(pass_percent) or not 1 <= pass_percent <= 100:
        problem("'pass_percent' must be a whole number from 1 to 100", "pass_percent")
    max_attempts = data.get("max_attempts", 0)
    if not _is_int(max_attempts) or max_attempts < 0:
        problem("'max_attempts' must be 0 (unlimited) or a positive whole number",
                "max_attempts")
    shuffle = data.get("shuffle", True)
    if not isinstance(shuffle, bool):
        problem("'shuffle' must be true or false", "shuffle")
    minutes = {}
    for key, most in (("cooldown_minutes", MAX_COOLDOWN_MINUTES),
                      ("time_limit_minutes", MAX_TIME_LIMIT_MINUTES)):
        minutes[key] = data.get(key, 0)
        if not _is_int(minutes[key]) or not 0 <= minutes[key] <= most:
            problem(f"'{key}' must be a whole number of minutes from 0 (none) to {most}", key)
    explanations = data.get("explanations", "required")
    if explanations not in ("required", "optional"):
        problem("'explanations' must be required (courses written here) or optional "
                "(an imported question bank)", "explanations")
    questions = data.get("questions")
    if not isinstance(questions, list) or not questions:
        problem("'questions' must be a non-empty list", "questions")
        return None
    seen: set[str] = set()
    checked = []
    for i, raw in enumerate(questions):
        where = Where(doc.path, lambda *p, i=i: doc.line("questions", i, *p))
        q, found, notes = check_question(raw, where,
                                         explanations_required=explanations != "optional")
        problems.extend(found)
        warnings.extend(notes)
        if q is None:
            continue
        if q["id"] in seen:
            problem(f"question id '{q['id']}' is used twice", "questions", i, "id")
        seen.add(q["id"])
        for ref in IMAGE_REF.findall(q["text"]):
            image_problem = _check_image(doc.path.parent, ref)
            if image_problem:
                problem(image_problem, "questions", i, "text")
        checked.append(q)
    if len(problems) > before:
        return None
    draw = check_draw(data.get("draw"), checked, problem)
    if len(problems) > before:
        return None
    return {
        "pass_percent": pass_percent,
        "max_attempts": max_attempts,
        "shuffle": shuffle,
        "draw": draw,
        "cooldown_minutes": minutes["cooldown_minutes"],
        "time_limit_minutes": minutes["time_limit_minutes"],
        "explanations": explanations,
        "questions": checked,
    }
