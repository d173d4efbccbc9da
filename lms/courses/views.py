from __future__ import annotations

from pathlib import Path

from flask import Blueprint, abort, current_app, request, send_from_directory
from flask_login import current_user

from lms.courses import logic
from lms.courses.loader import AUDIENCES, IMAGE_SUFFIXES
from lms.http_cache import anonymous_page
from lms.layout import render_page
from lms.learning.logic import course_progress

bp = Blueprint("courses", __name__, url_prefix="/courses")


@bp.get("/")
def catalogue():
    audience = request.args.get("audience", "")
    query = request.args.get("q", "")[:200]

    def render():
        courses = logic.catalogue(audience if audience in AUDIENCES else None, query)
        return render_page(
            "courses/catalogue.html", courses=courses, audience=audience, query=query
        )

    return anonymous_page(logic.catalogue_version, render)


# A course page and a lesson page, when kept for anonymous visitors, depend on the
# catalogue's version (any course changed by `courses sync` moves it) and on the URL:
# a kept page is sent without reading the course.


@bp.get("/<slug>")
def course(slug: str):
    def render():
        course = logic.published_course_or_404(slug)
        progress = course_progress(current_user, course)
        return render_page("courses/course.html", course=course, progress=progress)

    return anonymous_page(logic.catalogue_version, render)


@bp.get("/<slug>/lessons/<lesson_slug>")
def lesson(slug: str, lesson_slug: str):
    def render():
        course = logic.published_course_or_404(slug)
        lesson = logic.lesson_with_html_or_404(course, lesson_slug)
        previous, following = logic.neighbours(course, lesson)
        progress = course_progress(current_user, course)
        return render_page(
            "courses/lesson.html",
            course=course,
            lesson=lesson,
            previous=previous,
            following=following,
            progress=progress,
        )

    return anonymous_page(logic.catalogue_version, render)


@bp.get("/<slug>/files/<path:filename>")
def course_file(slug: str, filename: str):
    """Images from the course folder (nothing else in it is served)."""
    course = logic.published_course_or_404(slug)
    if Path(filename).suffix.lower() not in IMAGE_SUFFIXES:
        abort(404)
    folder = Path(current_app.config["LMS_COURSES_DIR"]) / course.slug
    response = send_from_directory(folder, filename, max_age=7 * 24 * 3600)
    if filename.lower().endswith(".svg"):
        # An SVG opened directly (not as an <img>) must not run script in our
        # origin, fetch anything or act as a page of ours: no sources, sandboxed;
        # its type stated, never sniffed.
        response.mimetype = "image/svg+xml"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
    return response
