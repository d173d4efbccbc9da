from __future__ import annotations

import re

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from lms.courses.logic import lesson_or_404, neighbours, published_course_or_404
from lms.documents.certificate import certificate_for, pdf_name
from lms.documents.certificate import certificate_pdf as certificate_document
from lms.extensions import commit_keeping_loaded, db
from lms.http_cache import keep_learner_page, kept_learner_page
from lms.layout import render_page, render_with_slots
from lms.learning import logic
from lms.learning.forms import CsrfOnlyForm, QuizForm
from lms.learning.mine import my_courses
from lms.learning.models import QuizAttempt
from lms.learning.questions.text import page_items, question_html
from lms.learning.status import statuses
from lms.util.formatting import date_vi
from lms.util.time import local_today
from lms.util.urls import attachment

bp = Blueprint("learning", __name__)


@bp.url_value_preprocessor
def limit_quiz_submission(endpoint: str | None, _values: dict | None) -> None:
    """A quiz's answers fit in a few KB: refuse a larger body before it is read.

    URL value preprocessors run before every before_request function, and CSRF
    protection, one of those, reads the whole form; so the check is made here. The
    limit set on the request also stops a body sent without a Content-Length.
    """
    if endpoint == "learning.quiz" and request.method == "POST":
        request.max_content_length = current_app.config["LMS_QUIZ_MAX_BYTES"]
        if (request.content_length or 0) > request.max_content_length:
            abort(413)


@bp.errorhandler(413)
def quiz_too_large(_error):
    limit = current_app.config["LMS_QUIZ_MAX_BYTES"] / 1024
    return render_page(
        "errors/error.html", code=413, title=_("Bài làm quá lớn"),
        message=_("Bài làm gửi lên lớn hơn %(kb)s KB, nhiều hơn mọi bài kiểm tra cần. Hãy "
                  "mở lại bài kiểm tra và nộp lại.", kb=f"{limit:g}")), 413


@bp.post("/courses/<slug>/lessons/<lesson_slug>/done")
@login_required
def mark_done(slug: str, lesson_slug: str):
    if not CsrfOnlyForm().validate_on_submit():
        abort(400)
    course = published_course_or_404(slug)
    lesson = lesson_or_404(course, lesson_slug)
    completion = logic.mark_lesson_done(current_user, lesson)
    db.session.commit()
    if completion is not None:
        return redirect(url_for("learning.certificate", code=completion.code))
    _previous, following = neighbours(course, lesson)
    if following is not None:
        return redirect(url_for("courses.lesson", slug=slug, lesson_slug=following.slug))
    if course.has_quiz:
        flash(_("Bạn đã học xong các bài. Hãy làm bài kiểm tra để hoàn thành khóa học."), "info")
        return redirect(url_for("learning.quiz", slug=slug))
    return redirect(url_for("courses.course", slug=slug))


@bp.route("/courses/<slug>/quiz", methods=["GET", "POST"])
@login_required
def quiz(slug: str):
    kept = kept_learner_page()  # an open attempt's page, as this learner last saw it
    if kept is not None:
        return kept
    course = published_course_or_404(slug)
    if not course.has_quiz:
        abort(404)
    form = QuizForm()
    if request.method == "POST":
        # At most nine ASCII digits: "²" passes isdigit() but not int(), and no
        # database takes 10**30 as an id.
        if not form.validate_on_submit() or not re.fullmatch(r"[0-9]{1,9}",
                                                             form.attempt_id.data):
            flash(_("Phiên làm bài đã hết hạn. Hãy làm lại bài kiểm tra."), "warning")
            return redirect(url_for("learning.quiz", slug=slug))
        attempt = db.session.get(QuizAttempt, int(form.attempt_id.data))
        if attempt is None or attempt.user_id != current_user.id or attempt.course_id != course.id:
            abort(404)
        try:
            responses = logic.parse_responses(attempt, request.form)
        except logic.AnswersRejected as rejected:
            return render_page(
                "errors/error.html", code=400, title=_("Bài làm không hợp lệ"),
                message=_(rejected.message, **rejected.params)), 400
        blanks = logic.unanswered_numbers(attempt.questions, responses)
        if (blanks and request.form.get("blanks") != "confirmed"
                and attempt.submitted_at is None and logic.seconds_left(attempt) != 0):
            # Blanks, not yet confirmed, and time to fill them: the page again, every
            # answer kept, saying how many are blank (what quiz.js asks in the browser).
            return _quiz_page(course, attempt, form, not logic.lessons_left(current_user, course),
                              responses=responses, blanks=blanks)
        logic.submit_attempt(current_user, attempt, responses)
        result = url_for("learning.attempt_result", slug=slug, attempt_id=attempt.id)
        db.session.commit()
        return redirect(result)

    completion = logic.current_completion(current_user, course)
    if completion is not None:
        return render_page("learning/quiz_done.html", course=course, completion=completion)
    # The page says whether lessons are left, nothing more of them: one statement.
    lessons_done = not logic.lessons_left(current_user, course)
    # The usual case, an attempt already open, writes nothing.
    attempt = logic.unsubmitted_attempt(current_user, course)
    if attempt is not None and logic.is_overdue(attempt):
        logic.submit_attempt(current_user, attempt, None)  # its time ran out unanswered
        db.session.commit()
        attempt = None
    if attempt is None:
        if course.quiz_time_limit_minutes:
            # A timed attempt starts when the learner says so, not when a page opens.
            return _start_page(course)
        try:
            attempt = logic.open_attempt(current_user, course, unsubmitted=None)
        except logic.QuizClosed as closed:
            db.session.commit()
            return _closed_page(course, closed)
        # Opening an attempt adds it and changes nothing the page has read (the
        # course, the account): the page renders from what is loaded.
        commit_keeping_loaded()
    form.attempt_id.data = str(attempt.id)
    if attempt.deadline is not None:  # a countdown: what it shows changes by the second
        return _quiz_page(course, attempt, form, lessons_done)
    return keep_learner_page(lambda: _quiz_page(course, attempt, form, lessons_done))


def _quiz_page(course, attempt: QuizAttempt, form: QuizForm, lessons_done: bool,
               responses: dict | None = None, blanks: list[int] | None = None):
    """The quiz page (``lessons_done``: whether the learner has done every lesson);
    with ``responses`` and ``blanks``, shown again after a submission that left the
    questions ``blanks`` unanswered."""
    return render_page(
        "learning/quiz.html",
        course=course,
        attempt=attempt,
        form=form,
        items=page_items(attempt.questions, _files_url(course), responses),
        seconds_left=logic.seconds_left(attempt),
        attempts_left=logic.attempts_left(current_user, course),
        lessons_done=lessons_done,
        blanks=blanks or [],
    )


def _files_url(course) -> str:
    """Where the course's images are served (question texts may show them)."""
    return url_for("courses.course", slug=course.slug) + "/files/"


def _closed_page(course, closed: logic.QuizClosed):
    return render_page("learning/quiz_closed.html", course=course, reason=str(closed),
                           opens_at=closed.opens_at)


def _start_page(course):
    try:
        logic.check_may_open(current_user, course)
    except logic.QuizClosed as closed:
        db.session.rollback()
        return _closed_page(course, closed)
    return render_page("learning/quiz_start.html", course=course, form=CsrfOnlyForm(),
                           attempts_left=logic.attempts_left(current_user, course))


@bp.post("/courses/<slug>/quiz/start")
@login_required
def quiz_start(slug: str):
    """Open a timed attempt (the clock starts now) and show it."""
    course = published_course_or_404(slug)
    if not course.has_quiz:
        abort(404)
    if not CsrfOnlyForm().validate_on_submit():
        flash(_("Phiên làm bài đã hết hạn. Hãy làm lại bài kiểm tra."), "warning")
        return redirect(url_for("learning.quiz", slug=slug))
    if logic.course_progress(current_user, course).completion is None:
        try:
            logic.open_attempt(current_user, course)
        except logic.QuizClosed:
            db.session.rollback()
        else:
            db.session.commit()
    return redirect(url_for("learning.quiz", slug=slug))


@bp.get("/courses/<slug>/quiz/attempts/<int(max=2147483647):attempt_id>")
@login_required
def attempt_result(slug: str, attempt_id: int):
    course = published_course_or_404(slug)
    attempt = db.get_or_404(QuizAttempt, attempt_id)
    if attempt.user_id != current_user.id or attempt.course_id != course.id:
        abort(404)
    if attempt.submitted_at is None:
        return redirect(url_for("learning.quiz", slug=slug))
    progress = logic.course_progress(current_user, course)
    marks = logic.shows_marks(course, attempt)
    files_url = _files_url(course)
    review = topics = None
    blanks = len(logic.unanswered_numbers(attempt.questions, attempt.responses))
    if marks:
        review = [(answer, question_html(answer.question["text"], files_url)[0])
                  for answer in logic.reviewed_answers(attempt)]
    else:
        lessons = {lesson.slug: lesson for lesson in progress.lessons}
        topics = [
            (lessons[tag].title, url_for("courses.lesson", slug=slug, lesson_slug=tag))
            if tag in lessons else (tag, None)
            for tag in logic.topics_to_review(attempt)]
    return render_page(
        "learning/attempt.html",
        course=course,
        attempt=attempt,
        progress=progress,
        attempts_left=logic.attempts_left(current_user, course),
        next_attempt_at=None if attempt.passed else logic.next_attempt_at(current_user, course),
        refused=logic.answers_refused(attempt),
        marks=marks,
        review=review,
        topics=topics,
        blanks=blanks,
    )


@bp.get("/my")
@login_required
def my_learning():
    kept = kept_learner_page()
    if kept is not None:
        return kept
    today = local_today()
    official = current_user.official
    required = external = None
    if official is not None:
        required = statuses([official.id], today).get(official.id)
        external = logic.external_records(official)
    courses = my_courses(current_user, required.courses if required else None, today)
    return keep_learner_page(lambda: render_page(
        "learning/my.html", courses=courses, today=today, required=required,
        external=external))


def _own_certificate_or_404(code: str):
    completion = logic.certificate_by_code(code)
    if completion is None or (completion.user_id != current_user.id and not current_user.is_admin):
        abort(404)
    return completion


@bp.get("/certificates/<code>")
@login_required
def certificate(code: str):
    completion = _own_certificate_or_404(code)
    return render_page("learning/certificate.html", completion=completion,
                           certificate=certificate_for(completion))


@bp.get("/certificates/<code>.pdf")
@login_required
def certificate_pdf(code: str):
    """The certificate as a one-page A4 PDF, drawn on the server (no browser)."""
    completion = _own_certificate_or_404(code)
    data = certificate_document(certificate_for(completion))
    return Response(data, mimetype="application/pdf",
                    headers=attachment(pdf_name(completion)))


@bp.get("/verify")
@bp.get("/verify/<code>")
def verify(code: str | None = None):
    code = code or request.args.get("code", "")
    found = logic.verify_certificate(code[:20], local_today()) if code else None
    # Anyone may check any number of codes: the page around the result is kept, and
    # only what differs from one certificate to the next is filled in.
    slots = {"code": code, "learner": "", "course": "", "completed_on": "", "number": ""}
    if found is not None:
        slots.update(learner=found.learner, course=found.course, number=found.code,
                     completed_on=date_vi(found.completed_on))
    page = render_with_slots(
        "learning/verify.html", slots, found=found is not None,
        self_declared=found is not None and found.name_self_declared,
        valid=found is not None and found.valid)
    return page, 404 if code and found is None else 200
