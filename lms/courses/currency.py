"""Is the curriculum current? Review dates, legal sources and superseded documents.

``course.yml`` says when its content was last checked against the law and which
documents it rests on::

    reviewed_on: 2026-11-30
    sources:
      - number: "117/2025/QH15"
        title: Luật Bảo vệ bí mật nhà nước
        issued: 2025-06-25
        effective: 2026-03-01            # optional when unknown
        url: https://...                 # optional

Every lesson ends with a ``## Nguồn`` section: a bullet list of the documents it
relies on (number, date, effective date), or the official guidance it follows.

``courses/superseded.yml`` (a file beside the course folders, never a course) lists
documents replaced by newer ones::

    - old: "29/2018/QH14"
      old_title: Luật Bảo vệ bí mật nhà nước 2018
      new: "117/2025/QH15"
      new_title: Luật Bảo vệ bí mật nhà nước 2025
      since: 2026-03-01                  # the day the old one stopped applying

The rule ``courses check`` applies (from ``since`` on; before that the old document
is still the one in force):

- a superseded number in ``course.yml``'s ``sources`` is cited as current: a
  warning (list the new document instead);
- in a lesson (``## Nguồn`` included), a line (a Markdown paragraph, list item or
  table row) may name the old number only as history, which it shows by also
  saying so (``HISTORICAL``: "thay thế", "thay cho", "(thay ...", "trước đây",
  "hết hiệu lực", "bãi bỏ", "không còn", "cũ", ...), e.g. "- Luật ... số
  117/2025/QH15 ..., hiệu lực từ 01/3/2026 (thay thế Luật số 29/2018/QH14)";
  otherwise a warning;
- numbers are matched whole ("13/2023/NĐ-CP" does not match "113/2023/NĐ-CP"),
  ignoring case and the Đ/D spelling.

Plus: a lesson without a ``## Nguồn`` section (or one with no bullet, or one that
is not the lesson's last section), a course without ``reviewed_on`` or ``sources``,
and a ``reviewed_on`` older than ``REVIEW_MONTHS`` months (or in the future).

These findings are "currency" warnings: ``courses check`` prints them, and
``--strict`` makes any warning fail. Everything here is pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from lms.courses.problems import Problem
from lms.courses.yamlfile import YamlFile

REVIEW_MONTHS = 12
SUPERSEDED_FILE = "superseded.yml"
SOURCE_KEYS = {"number", "title", "issued", "effective", "url"}
SUPERSEDED_KEYS = {"old", "old_title", "new", "new_title", "since"}
# Words that mark a line naming an old document as history, not as the rule in force.
HISTORICAL = re.compile(
    r"thay thế|thay cho|được thay|\(thay |trước đây|trước ngày|hết hiệu lực|bãi bỏ|"
    r"không còn|đã bỏ|\bcũ\b", re.IGNORECASE)
SOURCES_HEADING = re.compile(r"^##\s+Nguồn\s*$")
HEADING = re.compile(r"^#{1,2}\s")


@dataclass(frozen=True)
class Superseded:
    old: str
    old_title: str
    new: str
    new_title: str
    since: date

    def applies_on(self, today: date) -> bool:
        return self.since <= today


def _fold_number(number: str) -> str:
    return number.strip().lower().replace("đ", "d")


def _number_pattern(number: str) -> re.Pattern[str]:
    # Whole number only: no digit or '/' directly before it, no letter/digit after.
    return re.compile(r"(?<![\w/])" + re.escape(_fold_number(number)) + r"(?![\w])")


def subtract_months(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    # 29/2 and 31st: the last day of the target month.
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


# --- course.yml: reviewed_on and sources (problems: malformed values) ---------

def check_review_meta(data: dict[str, Any], problem) -> dict[str, Any]:
    """``reviewed_on`` and ``sources`` of course.yml, checked; ``problem(message,
    *path)`` for each malformed value. Both are optional here: their absence is a
    currency warning, not an error (see ``course_warnings``)."""
    meta: dict[str, Any] = {"reviewed_on": None, "sources": []}
    reviewed = data.get("reviewed_on")
    if reviewed is not None:
        if isinstance(reviewed, date) and not hasattr(reviewed, "hour"):
            meta["reviewed_on"] = reviewed
        else:
            problem("'reviewed_on' must be a date written YYYY-MM-DD, e.g. 2026-11-30",
                    "reviewed_on")
    sources = data.get("sources")
    if sources is None:
        return meta
    if not isinstance(sources, list):
        problem("'sources' must be a list of documents, each with number:, title:, "
                "issued: (and effective:, url: when known)", "sources")
        return meta
    for i, source in enumerate(sources):
        checked = _check_source(source, lambda m, *p, i=i: problem(m, "sources", i, *p))
        if checked is not None:
            meta["sources"].append(checked)
    return meta


def _check_source(source: Any, problem) -> dict[str, Any] | None:
    if not isinstance(source, dict):
        problem("a source is a mapping such as {number: \"117/2025/QH15\", title: Luật ..., "
                "issued: 2025-06-25}")
        return None
    ok = True
    for key in source:
        if key not in SOURCE_KEYS:
            problem(f"unknown source key '{key}' (use {', '.join(sorted(SOURCE_KEYS))})", key)
            ok = False
    for key in ("number", "title"):
        value = source.get(key)
        if not isinstance(value, str) or not value.strip():
            problem(f"a source needs '{key}' as text (quote a number such as "
                    "\"117/2025/QH15\")", key)
            ok = False
    for key in ("issued", "effective"):
        value = source.get(key)
        if value is None and key == "effective":
            continue
        if not isinstance(value, date) or hasattr(value, "hour"):
            problem(f"a source needs '{key}' as a date written YYYY-MM-DD"
                    + (" (leave it out when unknown)" if key == "effective" else ""), key)
            ok = False
    if ok and source.get("effective") is not None and source["effective"] < source["issued"]:
        problem("'effective' is before 'issued'", "effective")
        ok = False
    url = source.get("url")
    if url is not None and (not isinstance(url, str)
                            or not url.startswith(("https://", "http://"))):
        problem("'url' must be a web address starting with https://", "url")
        ok = False
    if not ok:
        return None
    return {
        "number": source["number"].strip(),
        "title": source["title"].strip(),
        "issued": source["issued"],
        "effective": source.get("effective"),
        "url": url,
    }


# --- superseded.yml -------------------------------------------------------------

def load_superseded(root: Path, problems: list[Problem]) -> list[Superseded]:
    """The superseded documents listed in ``root/superseded.yml`` (none if absent)."""
    path = Path(root) / SUPERSEDED_FILE
    if not path.is_file():
        return []
    doc = YamlFile(path)
    if doc.error:
        problems.append(Problem(path, *doc.error))
        return []

    def problem(message: str, *where: Any) -> None:
        problems.append(Problem(path, doc.line(*where), message))

    if doc.data is None:
        return []
    if not isinstance(doc.data, list):
        problem("superseded.yml is a list of {old:, old_title:, new:, new_title:, since:}")
        return []
    found: list[Superseded] = []
    for i, entry in enumerate(doc.data):
        if not isinstance(entry, dict):
            problem("each entry is a mapping {old:, old_title:, new:, new_title:, since:}", i)
            continue
        ok = True
        for key in entry:
            if key not in SUPERSEDED_KEYS:
                problem(f"unknown key '{key}' (use {', '.join(sorted(SUPERSEDED_KEYS))})",
                        i, key)
                ok = False
        for key in ("old", "old_title", "new", "new_title"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                problem(f"'{key}' is required and must be text (quote numbers)", i, key)
                ok = False
        since = entry.get("since")
        if not isinstance(since, date) or hasattr(since, "hour"):
            problem("'since' must be the date written YYYY-MM-DD from which the new "
                    "document applies", i, "since")
            ok = False
        if ok:
            found.append(Superseded(entry["old"].strip(), entry["old_title"].strip(),
                                    entry["new"].strip(), entry["new_title"].strip(), since))
    return found


# --- the warnings -----------------------------------------------------------------

def course_warnings(course_file: Path, doc: YamlFile, meta: dict[str, Any],
                    superseded: list[Superseded], today: date) -> list[Problem]:
    """Review date and sources of one course.yml."""
    found: list[Problem] = []
    reviewed = meta.get("reviewed_on")
    if reviewed is None:
        found.append(Problem(course_file, 1, "no 'reviewed_on': add the date the content "
                             "was last checked against the law (YYYY-MM-DD)"))
    elif reviewed < subtract_months(today, REVIEW_MONTHS):
        found.append(Problem(course_file, doc.line("reviewed_on"),
                             f"reviewed_on {reviewed.isoformat()} is more than "
                             f"{REVIEW_MONTHS} months ago: review the content and the law"))
    elif reviewed > today:
        found.append(Problem(course_file, doc.line("reviewed_on"),
                             f"reviewed_on {reviewed.isoformat()} is in the future"))
    if not meta.get("sources"):
        found.append(Problem(course_file, 1, "no 'sources': list the legal documents (or "
                             "official guidance) the course rests on"))
    for i, source in enumerate(meta.get("sources") or ()):
        for entry in superseded:
            if entry.applies_on(today) and _fold_number(source["number"]) == \
                    _fold_number(entry.old):
                found.append(Problem(
                    course_file, doc.line("sources", i, "number"),
                    f"source {source['number']} ({entry.old_title}) was replaced by "
                    f"{entry.new} ({entry.new_title}) from {entry.since.isoformat()}"))
    return found


def lesson_warnings(path: Path, markdown: str, superseded: list[Superseded],
                    today: date) -> list[Problem]:
    """The ``## Nguồn`` section and superseded citations of one lesson."""
    found: list[Problem] = []
    lines = markdown.splitlines()
    start = next((i for i, line in enumerate(lines) if SOURCES_HEADING.match(line.strip())),
                 None)
    end = 0  # lines[start + 1:end] are the section's (0-based)
    if start is None:
        found.append(Problem(path, max(len(lines), 1), "no '## Nguồn' section: end the "
                             "lesson with the documents it relies on (number, date, "
                             "effective date)"))
    else:
        later = next((i for i in range(start + 1, len(lines)) if HEADING.match(lines[i])),
                     None)
        if later is not None:
            found.append(Problem(path, later + 1, "the '## Nguồn' section must be the "
                                 "lesson's last section"))
        end = later if later is not None else len(lines)
        if not any(line.lstrip().startswith(("- ", "* ")) for line in lines[start + 1:end]):
            found.append(Problem(path, start + 1, "the '## Nguồn' section lists no document "
                                 "(a bullet list: '- Luật ... số ... ngày ..., hiệu lực từ ...')"))
    in_force = [(entry, _number_pattern(entry.old)) for entry in superseded
                if entry.applies_on(today)]
    if not in_force:
        return found
    for lineno, line in enumerate(lines, start=1):
        folded = _fold_number(line)
        in_sources = start is not None and start + 1 < lineno <= end
        for entry, pattern in in_force:
            if not pattern.search(folded):
                continue
            if HISTORICAL.search(line):
                continue
            if in_sources:
                why = "is listed in '## Nguồn' as a document the lesson relies on"
            else:
                why = ("is cited as current (to mention it as history, say so on the same "
                       "line: 'trước đây', 'được thay thế', 'hết hiệu lực')")
            found.append(Problem(
                path, lineno, f"{entry.old} ({entry.old_title}) {why}; it was replaced by "
                f"{entry.new} ({entry.new_title}) from {entry.since.isoformat()}"))
    return found
