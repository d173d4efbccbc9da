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
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext
from sqlalchemy import bindparam, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from lms.auth.models import SELF_DECLARED_ROLES, User
from lms.courses.models import Course, Lesson
from lms.extensions import OneRowRead, begin_write, db
from lms.learning import versions
from lms.learning.eligibility import ROSTER_ONLY, may_earn
from lms.learning.models import Completion, ExternalTraining, LessonProgress, QuizAttempt
from lms.learning.pools import Seen, draw_questions, questions_per_attempt
from lms.learning.questions import AnswersRejected, question_type
from lms.learning.questions.short import answer_limit
from lms.util.i18n import mark
from lms.util.time import local_today, utcnow

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread


class QuizClosed(Exception):
    """The learner may not take another attempt. The reason is marked for translation
    (``mark``); ``str()`` gives it in the reader's language. ``opens_at`` is when the
    next attempt opens, when only a cooldown stands in the way."""

    def __init__(self, reason: str, opens_at: datetime | None = None) -> None:
        super().__init__(reason)
        self.opens_at = opens_at

    def __str__(self) -> str:
        return gettext(self.args[0]) if self.args else ""


# --- completions ---------------------------------------------------------------------


def is_valid_on(completion_date: date, valid_days: int | None, as_of: date) -> bool:
    """A completion counts on ``as_of`` from its date until ``valid_days`` later."""
    if completion_date > as_of:
        return False
    return valid_days is None or as_of <= completion_date + timedelta(days=valid_days)


def latest_completion(user: User, course: Course) -> Completion | None:
    return db.session.scalar(_LATEST_COMPLETION, {"user": user.id, "course": course.id})


# The quiz, course and lesson pages and every quiz submission run the statements built
# once below (``_NAME``, parameters bound at execution): building a statement and working
# out its cache key cost as much as running it on SQLite.
_LEARNERS_COMPLETIONS = (Completion.user_id == bindparam("user"),
                         Completion.course_id == bindparam("course"))
_LATEST_COMPLETION = (select(Completion).where(*_LEARNERS_COMPLETIONS)
                      .order_by(Completion.sequence.desc()).limit(1))


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


def lessons_left(user: User, course: Course) -> bool:
    """Whether an active lesson of ``course`` is not done by ``user`` yet: one
    statement, no lesson loaded (submitting a quiz asks it, and shows no lesson)."""
    return bool(db.session.scalar(_LESSONS_LEFT, {"user": user.id, "course": course.id}))


_LESSONS_LEFT = select(
    select(Lesson.id).where(
        Lesson.course_id == bindparam("course"), Lesson.is_active.is_(True),
        ~select(LessonProgress.id).where(LessonProgress.user_id == bindparam("user"),
                                         LessonProgress.lesson_id == Lesson.id).exists(),
    ).exists())


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
    if lessons_left(user, course):
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
#
# The attempt rules (quiz.yml, stored on the course row at sync): ``max_attempts``;
# ``cooldown_minutes`` after a failed attempt before the next one opens;
# ``time_limit_minutes`` from opening the attempt to submitting it; ``draw`` (a pool,
# lms/learning/pools.py). The result page marks each question right or wrong, and
# shows the explanations, after a pass, and after a failure only where retrying is
# limited (``shows_marks``).

# A submission arriving this long after the deadline still has its answers graded
# (counted as submitted at the deadline): the page's countdown submits the form at
# the deadline and a slow connection takes a while to deliver it. Later, the answers
# are not accepted: the attempt is graded as submitted, unanswered, at its deadline.
LATE_GRACE = timedelta(seconds=60)

COOLDOWN = mark("Bạn chưa đạt ở lần làm bài trước; bài kiểm tra này cho làm lại sau một "
                "khoảng chờ.")
ATTEMPTS_USED = mark("Bạn đã dùng hết số lần làm bài kiểm tra của khóa học này.")


def submitted_attempts(user: User, course: Course) -> int:
    return db.session.scalar(_SUBMITTED_ATTEMPTS, {"user": user.id, "course": course.id}) or 0


_LEARNERS_ATTEMPTS = (QuizAttempt.user_id == bindparam("user"),
                      QuizAttempt.course_id == bindparam("course"))
_SUBMITTED_ATTEMPTS = select(func.count(QuizAttempt.id)).where(
    *_LEARNERS_ATTEMPTS, QuizAttempt.submitted_at.is_not(None))


def attempts_left(user: User, course: Course) -> int | None:
    """None when unlimited."""
    limit = course.quiz_max_attempts if course.has_quiz else 0
    if not limit:
        return None
    return max(limit - submitted_attempts(user, course), 0)


def next_attempt_at(user: User, course: Course, now: datetime | None = None) -> datetime | None:
    """When the learner may open the next attempt, if a cooldown after their latest
    (failed) attempt still runs; None when they may now (no statement without a
    cooldown)."""
    if not course.quiz_cooldown_minutes:
        return None
    latest = db.session.execute(
        select(QuizAttempt.passed, QuizAttempt.submitted_at)
        .where(QuizAttempt.user_id == user.id, QuizAttempt.course_id == course.id,
               QuizAttempt.submitted_at.is_not(None))
        .order_by(QuizAttempt.submitted_at.desc(), QuizAttempt.number.desc()).limit(1)
    ).first()
    if latest is None or latest.passed:
        return None
    opens = latest.submitted_at + timedelta(minutes=course.quiz_cooldown_minutes)
    return opens if opens > (now or utcnow()) else None


def is_overdue(attempt: QuizAttempt, now: datetime | None = None) -> bool:
    """An open attempt past its deadline and the grace: it can no longer be answered."""
    return (attempt.deadline is not None and attempt.submitted_at is None
            and (now or utcnow()) > attempt.deadline + LATE_GRACE)


def seconds_left(attempt: QuizAttempt, now: datetime | None = None) -> int | None:
    """Whole seconds until the deadline (0 once past it); None without a time limit."""
    if attempt.deadline is None:
        return None
    return max(0, int((attempt.deadline - (now or utcnow())).total_seconds()))


def check_may_open(user: User, course: Course, now: datetime | None = None) -> None:
    """Raises :class:`QuizClosed` when the learner may not open a new attempt now: the
    attempts are used up, or a cooldown runs (``opens_at`` says until when)."""
    if not may_earn(user, course):
        raise QuizClosed(ROSTER_ONLY)
    if attempts_left(user, course) == 0:
        raise QuizClosed(ATTEMPTS_USED)
    opens_at = next_attempt_at(user, course, now)
    if opens_at is not None:
        raise QuizClosed(COOLDOWN, opens_at=opens_at)


_UNREAD: Any = object()


def open_attempt(user: User, course: Course, rng: random.Random | None = None,
                 now: datetime | None = None, unsubmitted: QuizAttempt | None = _UNREAD
                 ) -> QuizAttempt:
    """The learner's unsubmitted attempt, or a new one with its own draw and shuffle.

    An open attempt past its time limit is closed first (graded unanswered at its
    deadline). Raises :class:`QuizClosed` when the attempts are used up or a cooldown
    runs (``opens_at`` then says until when). ``unsubmitted``: what the caller has
    just read with :func:`unsubmitted_attempt` (not read again before the write lock).
    """
    if not course.has_quiz:
        raise QuizClosed(mark("Khóa học này không có bài kiểm tra."))
    if not may_earn(user, course):
        raise QuizClosed(ROSTER_ONLY)
    now = now or utcnow()
    attempt = _unsubmitted_attempt(user, course) if unsubmitted is _UNREAD else unsubmitted
    if attempt is not None and not is_overdue(attempt, now):
        return attempt  # the usual case: reading the quiz page writes nothing
    begin_write()
    attempt = _unsubmitted_attempt(user, course)  # again, under the write lock
    if attempt is not None:
        if not is_overdue(attempt, now):
            return attempt
        submit_attempt(user, attempt, None, now=now)
    check_may_open(user, course, now)
    quiz = course.quiz
    if questions_per_attempt(quiz) < len(quiz["questions"]):
        # A pool's draw reads what the earlier attempts showed: the same read numbers
        # this one.
        earlier = _earlier_attempts(user, course)
        number = max((row.number for row in earlier), default=0) + 1
        seen = question_history(user, course, earlier)
    else:
        number = (db.session.scalar(_LAST_NUMBER, {"user": user.id, "course": course.id})
                  or 0) + 1
        seen = None
    limit = course.quiz_time_limit_minutes
    attempt = QuizAttempt(
        user_id=user.id,
        course_id=course.id,
        number=number,
        questions=snapshot_questions(quiz, rng or random.SystemRandom(), seen),
        pass_percent=quiz["pass_percent"],
        started_at=now,
        deadline=now + timedelta(minutes=limit) if limit else None,
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:
        # Two tabs opened the quiz at once; both use the same attempt.
        return open_attempt(user, course, rng, now)
    return attempt


def unsubmitted_attempt(user: User, course: Course) -> QuizAttempt | None:
    """The attempt the learner opened and has not submitted yet, if any."""
    return _unsubmitted_attempt(user, course)


def _unsubmitted_attempt(user: User, course: Course) -> QuizAttempt | None:
    return db.session.scalar(_UNSUBMITTED_ATTEMPT, {"user": user.id, "course": course.id})


def _earlier_attempts(user: User, course: Course) -> list[Any]:
    """(number, started_at, question_ids) of each of the learner's attempts."""
    return db.session.execute(_EARLIER_ATTEMPTS,
                              {"user": user.id, "course": course.id}).all()


_UNSUBMITTED_ATTEMPT = select(QuizAttempt).where(*_LEARNERS_ATTEMPTS,
                                                 QuizAttempt.submitted_at.is_(None))
_EARLIER_ATTEMPTS = select(QuizAttempt.number, QuizAttempt.started_at,
                           QuizAttempt.question_ids).where(*_LEARNERS_ATTEMPTS)
_LAST_NUMBER = select(func.max(QuizAttempt.number)).where(*_LEARNERS_ATTEMPTS)


def question_history(user: User, course: Course, earlier: list[Any] | None = None) -> Seen:
    """How often the learner's attempts showed each question, in their current
    validity window (attempts opened since their latest completion of ``course``) and
    in the one before (since the completion before that), and when any attempt last
    showed it. ``earlier``: the attempts as :func:`_earlier_attempts` read them."""
    if earlier is None:
        earlier = _earlier_attempts(user, course)
    ends = db.session.scalars(_LAST_TWO_COMPLETED,
                              {"user": user.id, "course": course.id}).all()
    latest = ends[0] if ends else None
    before = ends[1] if len(ends) > 1 else None
    seen = Seen()
    for _number, started_at, ids in earlier:
        ids = ids or ()
        for qid in ids:
            if started_at > seen.last_shown.get(qid, started_at.min):
                seen.last_shown[qid] = started_at
        if latest is None or started_at >= latest:
            seen.current.update(ids)
        elif before is None or started_at >= before:
            seen.previous.update(ids)
    return seen


_LAST_TWO_COMPLETED = (select(Completion.completed_at).where(*_LEARNERS_COMPLETIONS)
                       .order_by(Completion.sequence.desc()).limit(2))


def snapshot_questions(quiz: dict[str, Any], rng: random.Random,
                       seen: Seen | None = None) -> list[dict[str, Any]]:
    """The questions this attempt asks (drawn from the pool, if the quiz has one), in
    the order it shows them, each as its type snapshots it.

    Each choice keeps its original index as its value, so grading compares
    with quiz.yml's answers whatever order the learner saw.
    """
    shuffle = quiz.get("shuffle", True)
    questions = [dict(q) for q in draw_questions(quiz, rng, seen)]
    if shuffle:
        rng.shuffle(questions)
    return [question_type(q["type"]).snapshot(q, rng, shuffle) for q in questions]


def question_score(question: dict[str, Any], response: Any) -> float:
    """The share of the question's mark ``response`` earns (0.0 to 1.0)."""
    return question_type(question["type"]).grade(question, response)


def grade_question(question: dict[str, Any], response: Any) -> bool:
    """Whether ``response`` (as parsed from the form) answers ``question`` fully."""
    return question_score(question, response) >= 1.0


# What one attempt may store. A browser sends at most one value per single or
# true/false question, one per choice of a multiple one, and a short answer in a text
# box; anything beyond that is not an answer, and storing it would let one request
# fill the disk (a pen test stored 18.6 MB in one attempt). Each type bounds its own
# fields (lms/learning/questions); the whole is bounded here.
MAX_RESPONSES_BYTES = 32 * 1024  # one attempt's responses as stored (JSON)
short_answer_limit = answer_limit  # the short answer's text box maxlength


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
        responses[question["id"]] = question_type(question["type"]).parse(form, question,
                                                                          number)
    size = len(json.dumps(responses).encode())
    if size > MAX_RESPONSES_BYTES:
        raise AnswersRejected(mark("Bài làm quá lớn để lưu (%(size)d KB, tối đa %(limit)d KB)."),
                              size=-(-size // 1024), limit=MAX_RESPONSES_BYTES // 1024)
    return responses


@dataclass
class SubmitResult:
    attempt: QuizAttempt
    graded_now: bool
    completion: Completion | None


def submit_attempt(user: User, attempt: QuizAttempt, responses: dict[str, Any] | None,
                   now: datetime | None = None) -> SubmitResult:
    """Grade ``attempt`` once. A second submission of the same attempt (double
    click, two tabs) changes nothing and returns the first result: ``graded_now``
    is false, ``attempt`` holds the first grading.

    With a time limit, a submission after the deadline counts as submitted at the
    deadline; after ``LATE_GRACE`` its answers are not accepted (``responses`` None,
    every question unanswered).
    """
    begin_write()
    now = now or utcnow()
    submitted_at, accepted = now, responses is not None
    if attempt.deadline is not None and now > attempt.deadline:
        submitted_at = attempt.deadline
        accepted = accepted and now <= attempt.deadline + LATE_GRACE
    answers = responses if accepted else {}
    scores = [question_score(q, answers.get(q["id"])) for q in attempt.questions]
    total = len(attempt.questions)
    score_percent = round(100 * sum(scores) / total, 1) if total else 0.0
    graded = {
        "submitted_at": submitted_at,
        "responses": responses if accepted else None,
        "correct_count": sum(1 for score in scores if score >= 1.0),
        "score_percent": score_percent,
        "passed": score_percent >= attempt.pass_percent,
    }
    # Graded and claimed in one statement: only the submission that finds the attempt
    # still unsubmitted writes its grade.
    with versions.writing_for(db.session, attempt.user_id):  # only this learner's pages
        claimed = db.session.execute(
            _GRADE_UNSUBMITTED, {"attempt": attempt.id, **{f"new_{name}": value
                                                           for name, value in graded.items()}})
    if claimed.rowcount != 1:
        db.session.refresh(attempt)  # as the first submission graded it
        return SubmitResult(attempt, False, current_completion(user, attempt.course))
    for name, value in graded.items():  # what the statement wrote
        set_committed_value(attempt, name, value)
    completion = complete_if_finished(user, attempt.course, attempt) if attempt.passed else None
    return SubmitResult(attempt, True, completion)


_GRADED_COLUMNS = ("submitted_at", "responses", "correct_count", "score_percent", "passed")
_GRADE_UNSUBMITTED = (
    update(QuizAttempt)
    .where(QuizAttempt.id == bindparam("attempt"), QuizAttempt.submitted_at.is_(None))
    .values({name: bindparam(f"new_{name}") for name in _GRADED_COLUMNS})
    .execution_options(synchronize_session=False))


def answers_refused(attempt: QuizAttempt) -> bool:
    """A submitted attempt whose answers came after its time limit (none graded)."""
    return attempt.submitted_at is not None and attempt.responses is None


def shows_marks(course: Course, attempt: QuizAttempt) -> bool:
    """Whether the result page says which questions were right, with explanations.

    Always after a pass. After a failure only where retrying is limited: a pool larger
    than an attempt, a cooldown or a maximum number of attempts. With unlimited
    immediate retries of a fixed set of questions the marks would let a script learn
    the answers in a few dozen requests (penetration test 2026-11), so a failed
    attempt shows its score and the topics to review.
    """
    if attempt.passed:
        return True
    return bool(course.quiz_pool_questions > course.quiz_questions
                or course.quiz_cooldown_minutes or course.quiz_max_attempts)


def topics_to_review(attempt: QuizAttempt) -> list[str]:
    """The tags of the questions this attempt got wrong, in the attempt's order, each
    kept only when it tags two questions of the attempt or more (a tag of a single
    question would mark it wrong)."""
    answers = attempt.responses or {}
    counts: Counter[str] = Counter(tag for q in attempt.questions for tag in q.get("tags", ()))
    topics: list[str] = []
    for question in attempt.questions:
        if question_score(question, answers.get(question["id"])) < 1.0:
            topics += [tag for tag in question.get("tags", ())
                       if counts[tag] > 1 and tag not in topics]
    return topics


def reviewed_questions(attempt: QuizAttempt) -> list[tuple[dict[str, Any], float]]:
    """The attempt's questions with the share of the mark each earned."""
    answers = attempt.responses or {}
    return [(q, question_score(q, answers.get(q["id"]))) for q in attempt.questions]


@dataclass
class ReviewedAnswer:
    """One question on the result page: its mark, what the learner answered (None:
    unanswered) and the right answer, each as the lines the page lists."""

    question: dict[str, Any]
    score: float
    chosen: list[str] | None
    right: list[str]
    chosen_label: str  # msgids ("Bạn chọn", "Đáp án đúng"...), translated when shown
    right_label: str


def reviewed_answers(attempt: QuizAttempt) -> list[ReviewedAnswer]:
    """What the result page shows of each question when marks are shown (see
    :func:`shows_marks`): never called otherwise, so the right answers of a quiz
    that hides its marks never reach the page."""
    answers = attempt.responses or {}
    reviewed = []
    for question in attempt.questions:
        kind = question_type(question["type"])
        response = answers.get(question["id"])
        chosen = (kind.shown_response(question, response)
                  if kind.answered(question, response) else None)
        reviewed.append(ReviewedAnswer(question, question_score(question, response), chosen,
                                       kind.shown_answer(question), kind.chosen_label,
                                       kind.right_label))
    return reviewed


def unanswered_numbers(questions: list[dict[str, Any]],
                       responses: dict[str, Any] | None) -> list[int]:
    """The numbers (from 1) of the questions ``responses`` leaves blank."""
    responses = responses or {}
    return [number for number, question in enumerate(questions, start=1)
            if not question_type(question["type"]).answered(question,
                                                            responses.get(question["id"]))]


# --- my learning ---------------------------------------------------------------------


@dataclass
class LearningOverview:
    in_progress: list[tuple[Course, Progress]]
    completed: list[tuple[Course, Completion]]
    others: dict[int, Progress] = field(default_factory=dict)  # course id → progress


def learning_overview(user: User, also: Collection[Course] = ()) -> LearningOverview:
    """Courses the learner has started and those they have completed.

    Five statements however many courses the learner has started or completed: the
    lessons of all courses in progress are read at once (without their HTML), and an
    in-progress entry's Progress holds the lessons and those done (no completion: a
    course with a valid one is listed as completed). ``also`` (courses required of the
    learner) get their Progress in ``others``, read in the same statement.
    """
    learner = {"user": user.id}
    done_pairs = db.session.execute(_DONE_PAIRS, learner).all()
    done_ids = {lesson_id for _course_id, lesson_id in done_pairs}
    started_ids = {course_id for course_id, _lesson_id in done_pairs} | set(
        db.session.scalars(_QUIZZES_STARTED, learner))
    completions = db.session.scalars(_COMPLETIONS, learner).all()
    latest: dict[int, Completion] = {c.course_id: c for c in completions}
    course_ids = started_ids | set(latest)
    courses = db.session.scalars(
        _COURSES, {"ids": sorted(course_ids)}).all() if course_ids else []
    today = local_today()
    overview = LearningOverview([], [])
    in_progress: list[Course] = []
    for course in courses:
        completion = latest.get(course.id)
        if completion and is_valid_on(completion.completed_on, course.valid_days, today):
            overview.completed.append((course, completion))
        elif course.is_published:
            in_progress.append(course)
    lessons: dict[int, list[Lesson]] = {course.id: [] for course in [*in_progress, *also]}
    if lessons:
        for lesson in db.session.scalars(_ACTIVE_LESSONS, {"ids": list(lessons)}):
            lessons[lesson.course_id].append(lesson)
    for course in in_progress:
        overview.in_progress.append((course, Progress(lessons=lessons[course.id],
                                                      done_ids=done_ids)))
    overview.others = {course.id: Progress(lessons=lessons[course.id], done_ids=done_ids)
                       for course in also}
    return overview


# Built once (a learner's "my courses" runs them on every first view): parameters are
# bound at execution, so no request builds them or works out their cache keys again.
_DONE_PAIRS = (select(Lesson.course_id, LessonProgress.lesson_id)
               .join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
               .where(LessonProgress.user_id == bindparam("user")))
_QUIZZES_STARTED = (select(QuizAttempt.course_id).distinct()
                    .where(QuizAttempt.user_id == bindparam("user")))
_COMPLETIONS = (select(Completion).where(Completion.user_id == bindparam("user"))
                .order_by(Completion.sequence))
_COURSES = (select(Course).where(Course.id.in_(bindparam("ids", expanding=True)))
            .order_by(Course.title))
_ACTIVE_LESSONS = (select(Lesson)
                   .where(Lesson.course_id.in_(bindparam("ids", expanding=True)),
                          Lesson.is_active.is_(True))
                   .order_by(Lesson.course_id, Lesson.position))


def certificate_by_code(code: str) -> Completion | None:
    code = (code or "").strip().upper()
    if not code:
        return None
    return db.session.scalar(_CERTIFICATE_BY_CODE, {"code": code})


# Built once: the verification page is public and busy (building and keying the
# statement with its loader options cost more than running it).
_CERTIFICATE_BY_CODE = (
    select(Completion).where(Completion.code == bindparam("code"))
    .options(joinedload(Completion.user), joinedload(Completion.course)))


@dataclass(frozen=True)
class Verification:
    """What the public verification page shows of a certificate."""

    code: str
    completed_on: date
    learner: str
    name_self_declared: bool
    course: str
    valid: bool


def verify_certificate(code: str, today: date) -> Verification | None:
    """The certificate with ``code``, as anyone may check it (one small statement: only
    the columns shown, on the driver's cursor)."""
    code = (code or "").strip().upper()
    if not code:
        return None
    row = _VERIFICATION.one_or_none(code=code)
    if row is None:
        return None
    code, completed_on, full_name, role, name_verified_at, title, valid_days = row
    if isinstance(completed_on, str):  # SQLite gives the stored ISO text
        completed_on = date.fromisoformat(completed_on)
    return Verification(
        code=code, completed_on=completed_on, learner=full_name,
        name_self_declared=role in SELF_DECLARED_ROLES and name_verified_at is None,
        course=title, valid=is_valid_on(completed_on, valid_days, today))


def _verification_statement():
    # Of the tables, not the mapped classes: the page needs seven values, no objects.
    completions, users, courses = (Completion.__table__, User.__table__, Course.__table__)
    return (select(completions.c.code, completions.c.completed_on, users.c.full_name,
                   users.c.role, users.c.name_verified_at, courses.c.title,
                   courses.c.valid_days)
            .join(users, users.c.id == completions.c.user_id)
            .join(courses, courses.c.id == completions.c.course_id)
            .where(completions.c.code == bindparam("code")))


# A public page that anyone may ask for any number of codes: the driver's cursor
# (lms/extensions.OneRowRead) answers in a third of the time SQLAlchemy's Core takes.
_VERIFICATION = OneRowRead(_verification_statement())


def external_records(official) -> list[ExternalTraining]:
    """Classroom trainings HR recorded for ``official``, newest first, with their
    courses (one statement)."""
    return list(db.session.scalars(_EXTERNAL_RECORDS, {"official": official.id}))


_EXTERNAL_RECORDS = (
    select(ExternalTraining).where(ExternalTraining.official_id == bindparam("official"))
    .options(joinedload(ExternalTraining.course))
    .order_by(ExternalTraining.completed_on.desc(), ExternalTraining.id))
