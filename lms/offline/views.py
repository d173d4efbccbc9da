"""The installable web app (manifest, service worker, offline page), saving a course
for offline learning, the offline quiz and its answers coming back, course packs."""

from __future__ import annotations

import io
import re

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import undefer

from lms.courses.logic import published_course_or_404
from lms.courses.models import Lesson
from lms.extensions import db
from lms.http_cache import release
from lms.learning.models import QuizAttempt
from lms.learning.questions.text import page_items
from lms.offline import logic
from lms.offline.pack import PackTooLarge, build_pack

bp = Blueprint("offline", __name__)

# Who may download a course pack for a community learning room: the commune's digital
# team, HR officers and admins.
PACK_ROLES = ("community_helper", "unit_manager", "admin")
# The files every page needs, kept when the service worker installs (with the offline
# page): the style sheet, the scripts and the icons.
SHELL_FILES = ("css/app.css", "css/documents.css", "js/app.js", "js/offline.js",
               "favicon.svg", "icons/icon.svg", "icons/icon-192.png", "icons/icon-512.png")
IMG_SRC = re.compile(r'<img[^>]+src="([^"]+)"')


def may_pack(user) -> bool:
    return user.is_authenticated and user.role in PACK_ROLES


@bp.app_context_processor
def offline_globals():
    return {"may_pack": may_pack, "offline_quiz": logic.offline_quiz}


@bp.url_value_preprocessor
def limit_submission(endpoint: str | None, _values: dict | None) -> None:
    """Queued answers fit in a few KB, like the quiz form (lms/learning/views.py)."""
    if endpoint == "offline.submit" and request.method == "POST":
        request.max_content_length = current_app.config["LMS_QUIZ_MAX_BYTES"]
        if (request.content_length or 0) > request.max_content_length:
            abort(413)


@bp.get("/sw.js")
def service_worker():
    """The service worker, at the root so that its scope is the whole site."""
    shell = [url_for("offline.offline_page")] + [
        url_for("static", filename=name) for name in SHELL_FILES]
    body = render_template("offline/sw.js", version=release()[0][:16], shell=shell,
                           offline_url=url_for("offline.offline_page"),
                           static_prefix=url_for("static", filename=""))
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = url_for("main.index")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    name = current_app.config["LMS_SITE_NAME"]
    icon = "icons/icon-{}.png"
    response = jsonify({
        "name": name,
        "short_name": _("Kỹ năng số"),
        "description": _("Học kỹ năng số, cả khi không có mạng."),
        "lang": "vi",
        "start_url": url_for("main.index"),
        "scope": url_for("main.index"),
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#a3181b",
        "icons": [
            {"src": url_for("static", filename="icons/icon.svg"), "sizes": "any",
             "type": "image/svg+xml"},
            {"src": url_for("static", filename=icon.format(192)), "sizes": "192x192",
             "type": "image/png"},
            {"src": url_for("static", filename=icon.format(512)), "sizes": "512x512",
             "type": "image/png", "purpose": "any"},
        ],
    })
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/offline")
def offline_page():
    """What the service worker shows for a page that was not saved, without a connection."""
    return render_template("offline/offline.html")


@bp.post("/courses/<slug>/offline")
@login_required
def save(slug: str):
    """Draw the offline quiz (kept here) and list what the device should store."""
    course = published_course_or_404(slug)
    draw = logic.save_course(current_user, course)
    db.session.commit()
    base = url_for("courses.course", slug=slug)
    urls = [base] + [url_for("courses.lesson", slug=slug, lesson_slug=lesson.slug)
                     for lesson in course.active_lessons]
    pictures = {base + "/files/" + name for lesson in _lessons_with_html(course)
                for name in re.findall(r'src="\.\./files/([^"]+)"', lesson.html)}
    quiz_url = None
    if draw is not None:
        quiz_url = url_for("offline.quiz", slug=slug)
        # With the list of answers kept on the device, readable offline too.
        urls += [quiz_url, url_for("offline.answers")]
        for item in page_items(draw.questions, base + "/files/"):
            pictures.update(IMG_SRC.findall(str(item["text"])))
    return jsonify({
        "cache": f"lms-course-{slug}",
        "urls": urls + sorted(pictures),
        "quiz_url": quiz_url,
        "message": _("Đã lưu %(n)d bài học của khóa này trên máy. Bạn có thể học cả khi "
                     "không có mạng.", n=len(course.active_lessons)),
    })


def _lessons_with_html(course):
    return db.session.scalars(
        select(Lesson).options(undefer(Lesson.html))
        .where(Lesson.course_id == course.id, Lesson.is_active.is_(True)))


@bp.get("/courses/<slug>/offline/quiz")
@login_required
def quiz(slug: str):
    """The questions of the learner's offline draw; the answers are kept on the device
    and sent by offline.js when the connection returns."""
    course = published_course_or_404(slug)
    draw = logic.find_draw(current_user, course) if logic.offline_quiz(course) else None
    if draw is None or draw.used_at is not None:
        return render_template("offline/quiz_missing.html", course=course, draw=draw), 404
    return render_template(
        "offline/quiz.html", course=course, draw=draw,
        items=page_items(draw.questions, url_for("courses.course", slug=slug) + "/files/"))


@bp.get("/offline/token")
@login_required
def token():
    """A fresh CSRF token for sending queued answers (the saved page's may be old)."""
    return jsonify({"csrf_token": generate_csrf()})


@bp.post("/offline/submissions")
@login_required
def submit():
    """Answers queued on the device: graded once (the same client_id again gets the
    first outcome), or refused with the reason, which the server keeps too."""
    payload = request.get_json(silent=True)
    submission = logic.receive(current_user, payload) if isinstance(payload, dict) else None
    if submission is None:
        db.session.rollback()
        return jsonify({"status": "invalid", "message": _(logic.BAD_ANSWERS)}), 400
    db.session.commit()
    if submission.status == "refused":
        return jsonify({"status": "refused", "message": _(submission.reason),
                        "answers_url": url_for("offline.answers")}), 409
    attempt = db.session.get(QuizAttempt, submission.attempt_id)
    slug = request.get_json()["course"]
    return jsonify({
        "status": "graded",
        "passed": attempt.passed,
        "score": attempt.score_percent,
        "message": (_("Bài làm offline đã được chấm: %(s)s%%, đạt.", s=f"{attempt.score_percent:g}")
                    if attempt.passed else
                    _("Bài làm offline đã được chấm: %(s)s%%, chưa đạt.",
                      s=f"{attempt.score_percent:g}")),
        "result_url": url_for("learning.attempt_result", slug=slug, attempt_id=attempt.id),
    })


@bp.get("/offline/answers")
@login_required
def answers():
    """Queued answers: those still on this device (offline.js lists them) and those the
    server refused, with the reason."""
    return render_template("offline/answers.html", refused=logic.refused_submissions(current_user))


@bp.get("/courses/<slug>/pack")
@login_required
def pack(slug: str):
    if not may_pack(current_user):
        abort(403)
    course = published_course_or_404(slug)
    try:
        built = build_pack(course)
    except PackTooLarge as error:
        return render_template(
            "errors/error.html", code=413, title=_("Bộ bài học quá lớn"),
            message=_("Bộ bài học offline của khóa này nặng %(mb)s MB, quá giới hạn 1 MB. "
                      "Người soạn khóa học cần thu nhỏ ảnh rồi đồng bộ lại.",
                      mb=f"{error.size / 1024 / 1024:.1f}")), 413
    return send_file(io.BytesIO(built.data), mimetype="application/zip", as_attachment=True,
                     download_name=built.filename)
