"""Citizens and businesses: completions per commune and per course, and the
resolution's e-commerce figure (participations of businesses, co-operatives
and household businesses in e-commerce courses; target over 3,000)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select, union

from lms.auth.models import User
from lms.courses.models import Course
from lms.extensions import db
from lms.learning.models import Completion, QuizAttempt
from lms.org.logic import subtree_condition
from lms.org.models import Unit

ECOMMERCE_TAG = "thuong-mai-dien-tu"
ECOMMERCE_TARGET = 3000
LEARNER_ROLES = ("citizen", "business")


@dataclass
class LearnerStats:
    by_commune: list[tuple[str, str, int, int]]  # commune code, name, citizens, businesses
    by_course: list[tuple[str, int, int]]  # course title, citizens, businesses
    ecommerce_participations: int
    ecommerce_completions: int
    ecommerce_target: int = ECOMMERCE_TARGET


def learner_stats(scope: Unit | None) -> LearnerStats:
    role_sum = [func.sum(case((User.role == role, 1), else_=0)) for role in LEARNER_ROLES]
    by_commune = (
        select(Unit.code, Unit.name, *role_sum)
        .select_from(Completion).join(User, User.id == Completion.user_id)
        .join(Unit, Unit.id == User.unit_id)
        .where(User.role.in_(LEARNER_ROLES))
        .group_by(Unit.code, Unit.name).order_by(Unit.name)
    )
    by_course = (
        select(Course.title, *role_sum)
        .select_from(Completion).join(User, User.id == Completion.user_id)
        .join(Course, Course.id == Completion.course_id)
        .where(User.role.in_(LEARNER_ROLES))
        .group_by(Course.title).order_by(Course.title)
    )
    if scope is not None:
        by_commune = by_commune.where(subtree_condition(scope))
        by_course = by_course.outerjoin(Unit, Unit.id == User.unit_id).where(
            subtree_condition(scope))
    ecommerce = [c.id for c in db.session.scalars(select(Course)) if ECOMMERCE_TAG in c.tags]
    participations = completions = 0
    if ecommerce:
        business = select(User.id).where(User.role == "business")
        if scope is not None:
            business = business.join(Unit, Unit.id == User.unit_id).where(
                subtree_condition(scope))
        # A participation: a business account that submitted a quiz of, or completed, an
        # e-commerce course. Opening a page changes no figure (penetration test 2026-11:
        # opening the quiz page opened an attempt, and any attempt counted).
        pairs = union(
            select(QuizAttempt.user_id, QuizAttempt.course_id)
            .where(QuizAttempt.course_id.in_(ecommerce), QuizAttempt.user_id.in_(business),
                   QuizAttempt.submitted_at.is_not(None)),
            select(Completion.user_id, Completion.course_id)
            .where(Completion.course_id.in_(ecommerce), Completion.user_id.in_(business)),
        ).subquery()
        participations = db.session.scalar(select(func.count()).select_from(pairs)) or 0
        completions = db.session.scalar(
            select(func.count(Completion.id)).where(Completion.course_id.in_(ecommerce),
                                                    Completion.user_id.in_(business))) or 0
    return LearnerStats(
        [(r[0], r[1], int(r[2] or 0), int(r[3] or 0)) for r in db.session.execute(by_commune)],
        [(r[0], int(r[1] or 0), int(r[2] or 0)) for r in db.session.execute(by_course)],
        participations, completions)
