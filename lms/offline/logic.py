"""Courses saved on a device, and quizzes taken offline. Flush, never commit.

When a learner saves a course for offline learning, the question draw of their
offline quiz is made here and kept on the server (:class:`OfflineDraw`): the device
shows its questions and never receives an answer. The answers come back later, with
an id the device made for them; :func:`receive` grades them once as an ordinary
attempt under the course's attempt rules, or refuses them with a reason that is kept
(the quiz changed since the course was saved, the attempts are used up...).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import MultiDict

from lms.auth.models import User
from lms.courses.models import Course
from lms.extensions import begin_write, db
from lms.learning import logic as learning
from lms.learning.eligibility import may_earn
from lms.learning.models import QuizAttempt
from lms.learning.pools import questions_per_attempt
from lms.learning.questions import AnswersRejected
from lms.offline.models import OfflineDraw, OfflineSubmission
from lms.util.i18n import mark
from lms.util.time import utcnow

CLIENT_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
# Reasons for refusing queued answers (marked: translated when shown).
QUIZ_CHANGED = mark("Bài kiểm tra đã thay đổi sau khi bạn lưu khóa học, nên bài làm này "
                    "không được chấm. Hãy mở lại khóa học khi có mạng, lưu lại để học "
                    "offline và làm bài mới.")
OLD_DRAW = mark("Bài làm này trả lời một bộ câu hỏi cũ (bạn đã lưu lại khóa học sau đó), "
                "nên không được chấm. Hãy làm bộ câu hỏi mới.")
DRAW_USED = mark("Bộ câu hỏi này đã được nộp và chấm rồi. Hãy lưu lại khóa học để có bộ "
                 "câu hỏi mới.")
NO_COURSE = mark("Khóa học này không còn trên hệ thống.")
NOT_OFFLINE = mark("Bài kiểm tra của khóa học này không làm offline được.")
COMPLETED = mark("Bạn đã hoàn thành khóa học này; bài làm này không được chấm.")
BAD_ANSWERS = mark("Bài làm gửi lên không hợp lệ.")


def quiz_version(course: Course) -> str:
    """A hash of the course's quiz as synced: answers to another version are refused."""
    return hashlib.sha256(json.dumps(course.quiz, sort_keys=True, ensure_ascii=False)
                          .encode()).hexdigest()


def offline_quiz(course: Course) -> bool:
    """Whether the course's quiz can be taken offline: it has one and no time limit
    (a device without a connection cannot prove when its answers were given)."""
    return course.has_quiz and not course.quiz_time_limit_minutes


def find_draw(user: User, course: Course, version: str | None = None) -> OfflineDraw | None:
    return db.session.scalar(select(OfflineDraw).where(
        OfflineDraw.user_id == user.id, OfflineDraw.course_id == course.id,
        OfflineDraw.quiz_version == (version or quiz_version(course))))


def save_course(user: User, course: Course, rng: random.Random | None = None
                ) -> OfflineDraw | None:
    """The learner's offline draw of ``course``'s current quiz: the one made at an
    earlier save while its answers have not been graded, else a new one (a new round).
    None when the quiz cannot be taken offline, or the learner cannot earn the course or
    has a valid completion of it."""
    if not offline_quiz(course) or not may_earn(user, course):
        return None
    if learning.current_completion(user, course) is not None:
        return None  # nothing to earn until the completion expires
    version = quiz_version(course)
    draw = find_draw(user, course, version)
    if draw is not None and draw.used_at is None:
        return draw  # saving again keeps the questions already on the device
    begin_write()
    draw = find_draw(user, course, version)
    if draw is not None and draw.used_at is None:
        return draw
    quiz = course.quiz
    pooled = questions_per_attempt(quiz) < len(quiz["questions"])
    questions = learning.snapshot_questions(
        quiz, rng or random.SystemRandom(),
        learning.question_history(user, course) if pooled else None)
    if draw is not None:
        draw.round += 1
        draw.questions, draw.pass_percent = questions, quiz["pass_percent"]
        draw.drawn_at, draw.used_at = utcnow(), None
        db.session.flush()
        return draw
    draw = OfflineDraw(user_id=user.id, course_id=course.id, quiz_version=version,
                       questions=questions, pass_percent=quiz["pass_percent"])
    try:
        with db.session.begin_nested():
            db.session.add(draw)
    except IntegrityError:  # another tab saved the course at the same moment
        return find_draw(user, course, version)
    return draw


def _answers(raw: Any) -> list[list[str]] | None:
    """The answers as the device sent them: a list of [field, value] strings."""
    if not isinstance(raw, list):
        return None
    pairs = []
    for pair in raw:
        if not (isinstance(pair, list) and len(pair) == 2
                and all(isinstance(part, str) for part in pair)):
            return None
        pairs.append([pair[0], pair[1]])
    return pairs


def receive(user: User, payload: dict[str, Any], now: datetime | None = None
            ) -> OfflineSubmission | None:
    """Grade answers queued on a device, once per ``client_id``.

    ``payload``: ``client_id``, ``course`` (slug), ``version``, ``round``, ``answers``
    ([[field, value], ...]) and optionally ``answered_at`` (ISO time on the device).
    Returns the submission (the first one when the same id comes again), graded with
    its attempt or refused with its reason; None when the payload is not one (nothing
    to keep).
    """
    client_id = payload.get("client_id")
    answers = _answers(payload.get("answers"))
    slug, version, round_ = payload.get("course"), payload.get("version"), payload.get("round")
    if (not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id)
            or answers is None or not isinstance(slug, str) or not isinstance(version, str)
            or len(version) > 64 or not isinstance(round_, int) or isinstance(round_, bool)):
        return None
    if len(json.dumps(answers).encode()) > learning.MAX_RESPONSES_BYTES:
        return None
    now = now or utcnow()
    begin_write()
    earlier = _submission(user, client_id)
    if earlier is not None:
        return earlier
    course = db.session.scalar(select(Course).where(Course.slug == slug,
                                                    Course.is_published.is_(True)))
    if course is None:
        return None  # no course to keep it under: the device keeps it, with NO_COURSE
    submission = OfflineSubmission(
        user_id=user.id, client_id=client_id, course_id=course.id,
        quiz_version=version, round=round_, status="refused", answers=answers,
        answered_at=_device_time(payload.get("answered_at")), received_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(submission)
    except IntegrityError:  # the same answers arriving twice at once
        return _submission(user, client_id)
    submission.reason = _grade(user, course, submission, now) or ""
    submission.status = "refused" if submission.reason else "graded"
    db.session.flush()
    return submission


def _grade(user: User, course: Course, submission: OfflineSubmission,
           now: datetime) -> str | None:
    """Grade the submission as a new attempt; the reason it is refused, else None."""
    if not offline_quiz(course):
        return NOT_OFFLINE
    if submission.quiz_version != quiz_version(course):
        return QUIZ_CHANGED
    draw = find_draw(user, course, submission.quiz_version)
    if draw is None or draw.round != submission.round:
        return OLD_DRAW
    if draw.used_at is not None:
        return DRAW_USED
    if learning.current_completion(user, course) is not None:
        return COMPLETED
    try:
        learning.check_may_open(user, course, now)
    except learning.QuizClosed as closed:
        return closed.args[0]
    left = learning.attempts_left(user, course)
    if left == 1 and learning.unsubmitted_attempt(user, course) is not None:
        # The last attempt is open online (another tab): submitting both would make one
        # more than the limit.
        return learning.ATTEMPTS_USED
    try:
        responses = learning.parse_responses(QuizAttempt(questions=draw.questions),
                                             MultiDict(submission.answers))
    except AnswersRejected:
        return BAD_ANSWERS
    # The draw answers once, whichever of two tabs' submissions claims it first (on
    # PostgreSQL the conditional UPDATE takes the row lock; SQLite holds the write lock).
    claimed = db.session.execute(
        update(OfflineDraw)
        .where(OfflineDraw.id == draw.id, OfflineDraw.round == submission.round,
               OfflineDraw.used_at.is_(None))
        .values(used_at=now).execution_options(synchronize_session=False))
    db.session.refresh(draw)
    if claimed.rowcount != 1:
        return DRAW_USED
    attempt = _new_attempt(user, course, draw)
    learning.submit_attempt(user, attempt, responses, now=now)
    submission.attempt_id = attempt.id
    return None


def _new_attempt(user: User, course: Course, draw: OfflineDraw) -> QuizAttempt:
    """The attempt holding the draw's questions, numbered after the learner's others
    (again if an attempt opened online took the number at the same moment)."""
    while True:
        number = (db.session.scalar(select(func.max(QuizAttempt.number)).where(
            QuizAttempt.user_id == user.id, QuizAttempt.course_id == course.id)) or 0) + 1
        # Opened when the questions were drawn (the learner had them from then on).
        attempt = QuizAttempt(user_id=user.id, course_id=course.id, number=number,
                              questions=draw.questions, pass_percent=draw.pass_percent,
                              started_at=draw.drawn_at)
        try:
            with db.session.begin_nested():
                db.session.add(attempt)
        except IntegrityError:
            continue
        return attempt


def _submission(user: User, client_id: str) -> OfflineSubmission | None:
    return db.session.scalar(select(OfflineSubmission).where(
        OfflineSubmission.user_id == user.id, OfflineSubmission.client_id == client_id))


def _device_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def refused_submissions(user: User) -> list[tuple[OfflineSubmission, Course]]:
    """The learner's queued answers that were refused, newest first, with their course."""
    return list(db.session.execute(
        select(OfflineSubmission, Course).join(Course, Course.id == OfflineSubmission.course_id)
        .where(OfflineSubmission.user_id == user.id, OfflineSubmission.status == "refused")
        .order_by(OfflineSubmission.received_at.desc())).tuples())
