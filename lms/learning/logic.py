"""Learning rules: progress, quiz grading, completion. Flush, never commit.

Every effect happens once however many requests race for it (double clicks, two
tabs, retries): on SQLite the writers first take the write lock (``begin_write``),
so the read that decides a write and the write are one transaction; on PostgreSQL
a conditional UPDATE (row lock) or a unique constraint picks the winner, and the
losers read the winner's row.
"""

from __future__ import annotations

import json
import random
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms.auth.models import User
from lms.courses.models import Course, Lesson
from lms.extensions import begin_write, db
from lms.learning.eligibility import ROSTER_ONLY, may_earn
from lms.learning.models import Completion, ExternalTraining, LessonProgress, QuizAttempt
from lms.util.i18n import mark
from lms.util.text import fold
from lms.util.time import local_today, utcnow

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


class QuizClosed(Exception):
    """The learner may not take another attempt. The reason is marked for translation
    (``mark``); ``str()`` gives it in the reader's language."""

    def __str__(self) -> str:
        return gettext(self.args[0]) if self.args else ""


# --- completions ---------------------------------------------------------------------


def is_valid_on(completion_date: date, valid_days: int | None, as_of: date) -> bool:
    """A completion counts on ``as_of`` from its date until ``valid_days`` later."""
    if completion_date > as_of:
        return False
    return valid_days is None or as_of <= completion_date + timedelta(days=valid_days)


def latest_completion(user: User, course: Course) -> Completion | None:
    return db.session.scalar(
        select(Completion)
        .where(Completion.user_id == user.id, Completion.course_id == course.id)
        .order_by(Completion.sequence.desc())
        .limit(1)
    )


def current_completion(user: User, course: Course, as_of: date | None = None) -> Completion | None:
    completion = latest_completion(user, course)
    as_of = as_of or local_today()
    if completion and is_valid_on(completion.completed_on, course.valid_days, as_of):
        return completion
    return None


def new_certificate_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def record_completion(
    user: User, course: Course, attempt: QuizAttempt | None = None, on: date | None = None
) -> Completion:
    """The learner's valid completion of ``course``, created once.

    On SQLite the caller holds the write lock, so no one else is recording it; on
    PostgreSQL concurrent callers race on the (user, course, sequence) unique
    constraint and the losers get the winner's row: a completion is never counted
    twice.
    """
    begin_write()
    on = on or local_today()
    for _try in range(3):
        existing = latest_completion(user, course)
        if existing and is_valid_on(existing.completed_on, course.valid_days, on):
            return existing
        completion = Completion(
            user_id=user.id,
            course_id=course.id,
            sequence=(existing.sequence + 1) if existing else 1,
            completed_on=on,
            attempt_id=attempt.id if attempt else None,
            score_percent=attempt.score_percent if attempt else None,
            code=new_certificate_code(),
        )
        try:
            with db.session.begin_nested():
                db.session.add(completion)
        except IntegrityError:
            # Another request recorded this completion first (read it on the next
            # turn), or, once in a blue moon, the certificate code was taken.
            continue
        return completion
    raise RuntimeError(f"could not record the completion of {course.slug} "
                       f"for user {user.id}")  # pragma: no cover


# --- lessons -------------------------------------------------------------------------


@dataclass
class Progress:
    lessons: list[Lesson]
    done_ids: set[int] = field(default_factory=set)
    completion: Completion | None = None
    quiz_passed: bool = False

    @property
    def total(self) -> int:
        return len(self.lessons)

    @property
    def done_count(self) -> int:
        return sum(1 for lesson in self.lessons if lesson.id in self.done_ids)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / self.total) if self.total else 0

    @property
    def all_lessons_done(self) -> bool:
        return self.done_count == self.total

    @property
    def started(self) -> bool:
        return self.done_count > 0

    @property
    def next_lesson(self) -> Lesson | None:
        """The first lesson not yet done (where "Tiếp tục học" leads)."""
        for lesson in self.lessons:
            if lesson.id not in self.done_ids:
                return lesson
        return self.lessons[0] if self.lessons else None


def done_lesson_ids(user: User, course: Course) -> set[int]:
    return set(
        db.session.scalars(
            select(LessonProgress.lesson_id)
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(LessonProgress.user_id == user.id, Lesson.course_id == course.id)
        )
    )


def course_progress(user: User | None, course: Course) -> Progress:
    progress = Progress(lessons=course.active_lessons)
    if user is None or not user.is_authenticated:
        return progress
    progress.done_ids = done_lesson_ids(user, course)
    last = latest_completion(user, course)
    if last and is_valid_on(last.completed_on, course.valid_days, local_today()):
        progress.completion = last
    progress.quiz_passed = quiz_passed_since_last_completion(user, course, last)
    return progress


def mark_lesson_done(user: User, lesson: Lesson) -> Completion | None:
    """Mark ``lesson`` done (idempotent) and complete the course if that was the last step."""
    begin_write()
    exists = db.session.scalar(
        select(LessonProgress.id).where(
            LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id
        )
    )
    if exists is None:
        try:
            with db.session.begin_nested():
                db.session.add(LessonProgress(user_id=user.id, lesson_id=lesson.id))
        except IntegrityError:
            pass  # a parallel request marked it first: same result
    return complete_if_finished(user, lesson.course)


def quiz_passed_since_last_completion(user: User, course: Course,
                                      last: Completion | None | bool = False) -> bool:
    """A passed attempt that has not yet been used by an (expired) earlier completion.

    ``last`` is the learner's latest completion of ``course`` when the caller has
    already read it (None: there is none).
    """
    if last is False:
        last = latest_completion(user, course)
    query = select(QuizAttempt.id).where(
        QuizAttempt.user_id == user.id,
        QuizAttempt.course_id == course.id,
        QuizAttempt.passed.is_(True),
    )
    if last is not None:
        query = query.where(QuizAttempt.submitted_at >= last.completed_at)
    return db.session.scalar(query.limit(1)) is not None


def complete_if_finished(
    user: User, course: Course, attempt: QuizAttempt | None = None
) -> Completion | None:
    """A course is complete when every lesson is done and, where there is a quiz,
    an attempt reached ``pass_percent``."""
    current = current_completion(user, course)
    if current:
        return current
    if not may_earn(user, course):
        return None  # reading an officials-only course certifies nobody off the roster
    lesson_ids = {lesson.id for lesson in course.active_lessons}
    if not lesson_ids <= done_lesson_ids(user, course):
        return None
    if course.has_quiz and (attempt is None or not attempt.passed):
        if not quiz_passed_since_last_completion(user, course):
            return None
        attempt = db.session.scalar(
            select(QuizAttempt)
            .where(QuizAttempt.user_id == user.id, QuizAttempt.course_id == course.id,
                   QuizAttempt.passed.is_(True))
            .order_by(QuizAttempt.submitted_at.desc())
            .limit(1)
        )
    return record_completion(user, course, attempt)


# --- quizzes -------------------------------------------------------------------------


def submitted_attempts(user: User, course: Course) -> int:
    return db.session.scalar(
        select(func.count(QuizAttempt.id)).where(
            QuizAttempt.user_id == user.id,
            QuizAttempt.course_id == course.id,
            QuizAttempt.submitted_at.is_not(None),
        )
    ) or 0


def attempts_left(user: User, course: Course) -> int | None:
    """None when unlimited."""
    limit = course.quiz_max_attempts if course.has_quiz else 0
    if not limit:
        return None
    return max(limit - submitted_attempts(user, course), 0)


def open_attempt(user: User, course: Course, rng: random.Random | None = None) -> QuizAttempt:
    """The learner's unsubmitted attempt, or a new one with its own shuffle."""
    if not course.has_quiz:
        raise QuizClosed(mark("Khóa học này không có bài kiểm tra."))
    if not may_earn(user, course):
        raise QuizClosed(ROSTER_ONLY)
    attempt = _unsubmitted_attempt(user, course)
    if attempt is not None:
        return attempt  # the usual case: reading the quiz page writes nothing
    begin_write()
    attempt = _unsubmitted_attempt(user, course)  # again, under the write lock
    if attempt is not None:
        return attempt
    if attempts_left(user, course) == 0:
        raise QuizClosed(mark("Bạn đã dùng hết số lần làm bài kiểm tra của khóa học này."))
    number = (
        db.session.scalar(
            select(func.max(QuizAttempt.number)).where(
                QuizAttempt.user_id == user.id, QuizAttempt.course_id == course.id
            )
        )
        or 0
    ) + 1
    attempt = QuizAttempt(
        user_id=user.id,
        course_id=course.id,
        number=number,
        questions=snapshot_questions(course.quiz, rng or random.SystemRandom()),
        pass_percent=course.quiz["pass_percent"],
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # Two tabs opened the quiz at once; both use the same attempt.
        return open_attempt(user, course, rng)
    return attempt


def unsubmitted_attempt(user: User, course: Course) -> QuizAttempt | None:
    """The attempt the learner opened and has not submitted yet, if any."""
    return _unsubmitted_attempt(user, course)


def _unsubmitted_attempt(user: User, course: Course) -> QuizAttempt | None:
    return db.session.scalar(
        select(QuizAttempt).where(
            QuizAttempt.user_id == user.id,
            QuizAttempt.course_id == course.id,
            QuizAttempt.submitted_at.is_(None),
        )
    )


def snapshot_questions(quiz: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """The questions in the order this attempt shows them.

    Each choice keeps its original index as its value, so grading compares
    with quiz.yml's answers whatever order the learner saw.
    """
    questions = [dict(q) for q in quiz["questions"]]
    if quiz.get("shuffle", True):
        rng.shuffle(questions)
    for question in questions:
        if "choices" in question:
            order = list(range(len(question["choices"])))
            if quiz.get("shuffle", True):
                rng.shuffle(order)
            question["order"] = order
    return questions


def grade_question(question: dict[str, Any], response: Any) -> bool:
    """Whether ``response`` (as parsed from the form) answers ``question``."""
    kind = question["type"]
    answer = question["answer"]
    if kind == "single":
        return _as_int(response) == answer
    if kind == "multiple":
        chosen = {_as_int(r) for r in (response or [])}
        return chosen == set(answer)
    if kind == "true_false":
        return response in ("true", "false") and (response == "true") == answer
    if kind == "short":
        given = fold(str(response or "")).strip(" .!")
        return bool(given) and given in {fold(a).strip(" .!") for a in answer}
    return False


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# What one attempt may store. A browser sends at most one value per single or
# true/false question, one per choice of a multiple one, and a short answer in a text
# box; anything beyond that is not an answer, and storing it would let one request
# fill the disk (a pen test stored 18.6 MB in one attempt).
SHORT_ANSWER_MIN_LIMIT = 200  # characters, whatever the accepted answers' length
SHORT_ANSWER_FACTOR = 4  # ... or this many times the longest accepted answer
MAX_RESPONSES_BYTES = 32 * 1024  # one attempt's responses as stored (JSON)


class AnswersRejected(ValueError):
    """The submitted answers hold more than the attempt's questions allow.

    ``message`` is marked for translation and formatted with ``params`` when shown.
    """

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params)
        self.message = message
        self.params = params


def short_answer_limit(question: dict[str, Any]) -> int:
    """The longest short answer accepted, in characters (the text box's maxlength)."""
    accepted = question.get("answer") or []
    if isinstance(accepted, str):
        accepted = [accepted]
    longest = max((len(str(answer)) for answer in accepted), default=0)
    return max(SHORT_ANSWER_MIN_LIMIT, SHORT_ANSWER_FACTOR * longest)


def parse_responses(attempt: QuizAttempt, form: Any) -> dict[str, Any]:
    """The learner's answers to this attempt's questions, read from a form MultiDict.

    Only the attempt's questions are read (other fields are ignored); a choice that is
    not one of the question's is dropped. Raises :class:`AnswersRejected` when a field
    holds more than its question can take (two values for a single choice, more values
    than choices, a short answer over :func:`short_answer_limit`) or the whole is over
    ``MAX_RESPONSES_BYTES``: nothing of such a submission is stored.
    """
    responses: dict[str, Any] = {}
    for number, question in enumerate(attempt.questions, start=1):
        values = form.getlist(f"q-{question['id']}")
        kind = question["type"]
        if kind == "multiple":
            choices = len(question.get("choices") or [])
            if len(values) > choices:
                raise AnswersRejected(
                    mark("Câu %(number)d: gửi %(given)d lựa chọn, nhiều hơn số phương án "
                         "(%(choices)d)."), number=number, given=len(values), choices=choices)
            chosen = {_choice_index(value, choices) for value in values} - {None}
            responses[question["id"]] = [str(index) for index in sorted(chosen)]
            continue
        if len(values) > 1:
            raise AnswersRejected(mark("Câu %(number)d chỉ nhận một câu trả lời."),
                                  number=number)
        value = values[0] if values and isinstance(values[0], str) else None
        if kind == "single":
            index = _choice_index(value, len(question.get("choices") or []))
            responses[question["id"]] = None if index is None else str(index)
        elif kind == "true_false":
            responses[question["id"]] = value if value in ("true", "false") else None
        else:
            limit = short_answer_limit(question)
            if value is not None and len(value) > limit:
                raise AnswersRejected(
                    mark("Câu %(number)d: câu trả lời dài %(length)d ký tự, quá mức "
                         "%(limit)d ký tự."), number=number, length=len(value), limit=limit)
            responses[question["id"]] = value
    size = len(json.dumps(responses).encode())
    if size > MAX_RESPONSES_BYTES:
        raise AnswersRejected(mark("Bài làm quá lớn để lưu (%(size)d KB, tối đa %(limit)d KB)."),
                              size=-(-size // 1024), limit=MAX_RESPONSES_BYTES // 1024)
    return responses


def _choice_index(value: Any, choices: int) -> int | None:
    """``value`` as the index of one of ``choices`` choices, or None."""
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        return None
    index = int(value) if len(value) <= 4 else choices
    return index if index < choices else None


@dataclass
class SubmitResult:
    attempt: QuizAttempt
    graded_now: bool
    completion: Completion | None


def submit_attempt(user: User, attempt: QuizAttempt, responses: dict[str, Any]) -> SubmitResult:
    """Grade ``attempt`` once. A second submission of the same attempt (double
    click, two tabs) changes nothing and returns the first result: ``graded_now``
    is false, ``attempt`` holds the first grading."""
    begin_write()
    claimed = db.session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.id == attempt.id, QuizAttempt.submitted_at.is_(None))
        .values(submitted_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(attempt)
    if claimed.rowcount != 1:
        return SubmitResult(attempt, False, current_completion(user, attempt.course))
    correct = sum(1 for q in attempt.questions if grade_question(q, responses.get(q["id"])))
    total = len(attempt.questions)
    attempt.responses = responses
    attempt.correct_count = correct
    attempt.score_percent = round(100 * correct / total, 1) if total else 0.0
    attempt.passed = attempt.score_percent >= attempt.pass_percent
    db.session.flush()
    completion = complete_if_finished(user, attempt.course, attempt) if attempt.passed else None
    return SubmitResult(attempt, True, completion)


# --- my learning ---------------------------------------------------------------------


@dataclass
class LearningOverview:
    in_progress: list[tuple[Course, Progress]]
    completed: list[tuple[Course, Completion]]


def learning_overview(user: User) -> LearningOverview:
    """Courses the learner has started and those they have completed.

    Five statements however many courses the learner has started or completed: the
    lessons of all courses in progress are read at once (without their HTML), and an
    in-progress entry's Progress holds the lessons and those done (no completion: a
    course with a valid one is listed as completed).
    """
    done_pairs = db.session.execute(
        select(Lesson.course_id, LessonProgress.lesson_id)
        .join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
        .where(LessonProgress.user_id == user.id)
    ).all()
    done_ids = {lesson_id for _course_id, lesson_id in done_pairs}
    started_ids = {course_id for course_id, _lesson_id in done_pairs} | set(
        db.session.scalars(select(QuizAttempt.course_id).distinct()
                           .where(QuizAttempt.user_id == user.id))
    )
    completions = db.session.scalars(
        select(Completion).where(Completion.user_id == user.id).order_by(Completion.sequence)
    ).all()
    latest: dict[int, Completion] = {c.course_id: c for c in completions}
    course_ids = started_ids | set(latest)
    courses = db.session.scalars(
        select(Course).where(Course.id.in_(course_ids)).order_by(Course.title)
    ).all() if course_ids else []
    today = local_today()
    overview = LearningOverview([], [])
    in_progress: list[Course] = []
    for course in courses:
        completion = latest.get(course.id)
        if completion and is_valid_on(completion.completed_on, course.valid_days, today):
            overview.completed.append((course, completion))
        elif course.is_published:
            in_progress.append(course)
    lessons: dict[int, list[Lesson]] = {course.id: [] for course in in_progress}
    if in_progress:
        for lesson in db.session.scalars(
                select(Lesson).where(Lesson.course_id.in_(list(lessons)),
                                     Lesson.is_active.is_(True))
                .order_by(Lesson.course_id, Lesson.position)):
            lessons[lesson.course_id].append(lesson)
    for course in in_progress:
        overview.in_progress.append((course, Progress(lessons=lessons[course.id],
                                                      done_ids=done_ids)))
    return overview


def certificate_by_code(code: str) -> Completion | None:
    code = (code or "").strip().upper()
    if not code:
        return None
    return db.session.scalar(
        select(Completion).where(Completion.code == code)
        .options(joinedload(Completion.user), joinedload(Completion.course)))


def external_records(official) -> list[ExternalTraining]:
    """Classroom trainings HR recorded for ``official``, newest first, with their
    courses (one statement)."""
    return list(db.session.scalars(
        select(ExternalTraining).where(ExternalTraining.official_id == official.id)
        .options(joinedload(ExternalTraining.course))
        .order_by(ExternalTraining.completed_on.desc(), ExternalTraining.id)))
