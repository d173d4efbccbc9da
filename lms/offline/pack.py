"""A course pack: one course as static HTML in a zip, for community learning rooms
without internet (``flask courses pack SLUG -o FILE``, or the button helpers see).

The pack opens from disk in any browser: every link and picture is relative, there is
no script and no font or style from elsewhere; a print style sheet lays the lessons out
on paper. The quiz is left out: its answers never leave the server, and a certificate
needs a graded attempt (the learner takes it online, or offline on a device where the
course was saved); the index says so.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, render_template
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import undefer

from lms import select_locale
from lms.courses.loader import IMAGE_SUFFIXES
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.util.time import local_today

PACK_LIMIT = 1024 * 1024  # bytes: a pack fits a cheap USB stick's corner, or a message
# Lessons point at pictures as ../files/<path> (lms/courses/rendering.py).
PICTURE = re.compile(r'src="\.\./files/([^"]+)"')
FIXED_TIME = (2026, 1, 1, 0, 0, 0)  # the same course gives the same bytes
# A link in a lesson: to another lesson by its slug (relative, as on the site), or out.
LINK = re.compile(r'<a href="([^"#]*)(#[^"]*)?"([^>]*)>(.*?)</a>', re.S)


class PackTooLarge(Exception):
    def __init__(self, size: int, largest: list[tuple[str, int]]) -> None:
        super().__init__(size, largest)
        self.size, self.largest = size, largest

    def __str__(self) -> str:
        files = ", ".join(f"{name} ({size // 1024} KB)" for name, size in self.largest)
        return (f"the pack would be {self.size / 1024 / 1024:.2f} MB, over the "
                f"{PACK_LIMIT // 1024} KB limit; the largest files: {files}. Make the "
                "pictures smaller (e.g. 1200 px wide JPEG or WebP) and sync again.")


@dataclass
class Pack:
    filename: str
    data: bytes


def lesson_filename(lesson: Lesson) -> str:
    return f"lessons/{lesson.position:02d}-{lesson.slug}.html"


def pack_links(html: str, filenames: dict[str, str]) -> str:
    """The lesson's links as the pack needs them: a link to another lesson goes to its
    page in the pack; a link out of the site becomes its text with the address in
    brackets (readable on paper, and nothing to follow without internet); a link to
    another course's page, which the pack does not hold, becomes its text."""

    def link(match: re.Match) -> str:
        target, fragment, rest, text = match.groups()
        if target in filenames:
            return f'<a href="{filenames[target]}{fragment or ""}"{rest}>{text}</a>'
        if target.startswith(("http://", "https://")):
            return f'{text} <span class="address">({target})</span>'
        if not target or target.startswith(("mailto:", "tel:")):
            return match.group(0)  # a footnote on the page, an address or a number
        return text  # another course's page: not in this pack

    return LINK.sub(link, html)


ALL_LESSONS = "ca-khoa-hoc.html"  # every lesson on one page, to print the course at once


def one_page(html: str, lesson: Lesson, anchors: dict[str, str]) -> str:
    """A lesson's HTML as part of the page holding every lesson: its pictures from
    files/, links to other lessons to their place on the page, and its own ids
    (footnotes) prefixed so that two lessons' ids never clash."""
    prefix = f"bai-{lesson.position}-"
    html = html.replace('src="../files/', 'src="files/')
    html = re.sub(r'id="([^"]+)"', lambda m: f'id="{prefix}{m.group(1)}"', html)
    html = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}{m.group(1)}"', html)
    return pack_links(html, anchors)


def build_pack(course: Course) -> Pack:
    """The zip of ``course``'s active lessons. Raises :class:`PackTooLarge` over
    ``PACK_LIMIT`` (nothing is cut: a pack without a picture would mislead)."""
    lessons = list(db.session.scalars(
        select(Lesson).options(undefer(Lesson.html))
        .where(Lesson.course_id == course.id, Lesson.is_active.is_(True))
        .order_by(Lesson.position)))
    folder = Path(current_app.config["LMS_COURSES_DIR"]) / course.slug
    pictures: dict[str, bytes] = {}
    for lesson in lessons:
        for name in PICTURE.findall(lesson.html):
            path = (folder / name).resolve()
            if (name not in pictures and path.suffix.lower() in IMAGE_SUFFIXES
                    and path.is_relative_to(folder.resolve()) and path.is_file()):
                pictures[name] = path.read_bytes()
    today, lang = local_today(), select_locale()
    files: dict[str, bytes] = {
        "index.html": render_template("offline/pack/index.html", course=course,
                                      lessons=lessons, filename=lesson_filename,
                                      today=today, lang=lang,
                                      all_lessons=ALL_LESSONS).encode(),
        "style.css": render_template("offline/pack/style.css").encode(),
    }
    # Lesson pages sit side by side in lessons/: a link to one is its file name.
    siblings = {lesson.slug: lesson_filename(lesson).removeprefix("lessons/")
                for lesson in lessons}
    for i, lesson in enumerate(lessons):
        files[lesson_filename(lesson)] = render_template(
            "offline/pack/lesson.html", course=course, lesson=lesson,
            html=Markup(pack_links(lesson.html, siblings)),
            previous=lessons[i - 1] if i else None,
            following=lessons[i + 1] if i + 1 < len(lessons) else None,
            filename=lesson_filename, lang=lang).encode()
    anchors = {lesson.slug: f"{ALL_LESSONS}#bai-{lesson.position}" for lesson in lessons}
    files[ALL_LESSONS] = render_template(
        "offline/pack/all.html", course=course, lang=lang,
        lessons=[(lesson, Markup(one_page(lesson.html, lesson, anchors)))
                 for lesson in lessons]).encode()
    for name, data in pictures.items():
        files[f"files/{name}"] = data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(f"{course.slug}/{name}", date_time=FIXED_TIME)
            # Pictures are compressed already, except drawn SVG figures (text).
            info.compress_type = (zipfile.ZIP_STORED if name.startswith("files/")
                                  and not name.lower().endswith(".svg")
                                  else zipfile.ZIP_DEFLATED)
            archive.writestr(info, data)
    data = buffer.getvalue()
    if len(data) > PACK_LIMIT:
        largest = sorted(((name, len(body)) for name, body in files.items()),
                         key=lambda item: -item[1])[:3]
        raise PackTooLarge(len(data), largest)
    return Pack(f"{course.slug}.zip", data)
