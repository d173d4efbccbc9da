"""What the platform holds about a person, and forgetting them.

Deleting an account anonymises it instead of removing rows: completions stay
(so every report and certificate count stays right) but nothing in them points
to a person any more. Officials' training records are kept, as the rules on
civil-servant records require; their accounts are closed by the unit's HR.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext
from sqlalchemy import delete, select, update

from lms.account.logic import reminder_choice
from lms.audit import logic as audit
from lms.auth import twofactor
from lms.auth.logic import end_sessions
from lms.auth.models import ActivationToken, RememberToken, User
from lms.auth.twofactor import RecoveryCode, TwoFactor
from lms.community.models import ClassAttendance, CommunityClass, InPersonRegistration
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.learning.models import Completion, ExternalTraining, LessonProgress, QuizAttempt
from lms.mail.logic import forget_address
from lms.offline.models import OfflineSubmission
from lms.org.models import Official, PendingImport
from lms.recovery.models import EmailLink
from lms.util.i18n import mark
from lms.util.time import utcnow

FORMAT_VERSION = 1


class DeletionRefused(Exception):
    """Self-service deletion is refused: ``message`` (marked with ``mark``) is
    translated when read, into the reader's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.template = message

    @property
    def message(self) -> str:
        return gettext(self.template)

    def __str__(self) -> str:
        return self.message


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value else None


def user_data(user: User) -> dict[str, Any]:
    """Everything stored about ``user``, in one JSON-ready document."""
    titles = dict(db.session.execute(select(Course.id, Course.title)).all())
    lessons = {lid: (titles.get(cid), title) for lid, cid, title in db.session.execute(
        select(Lesson.id, Lesson.course_id, Lesson.title))}
    official = db.session.scalar(select(Official).where(Official.user_id == user.id))
    data: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "exported_at": _iso(utcnow()),
        "account": {
            "full_name": user.full_name, "email": user.email, "phone": user.phone,
            "role": user.role, "unit": user.unit.name if user.unit else None,
            "tax_code": user.tax_code, "business_type": user.business_type,
            "created_at": _iso(user.created_at), "last_login_at": _iso(user.last_login_at),
            "consent_at": _iso(user.consent_at), "consent_notice_version": user.consent_version,
            "email_verified_at": _iso(user.email_verified_at),
            "reminders": reminder_choice(user), "pending_email": user.pending_email,
        },
        # Whether it is on and how many recovery codes are left; never the secret.
        "two_factor": _two_factor(user),
        "lessons_done": [
            {"course": lessons.get(p.lesson_id, (None, None))[0],
             "lesson": lessons.get(p.lesson_id, (None, None))[1],
             "completed_at": _iso(p.completed_at)}
            for p in db.session.scalars(select(LessonProgress).where(
                LessonProgress.user_id == user.id).order_by(LessonProgress.completed_at))],
        "quiz_attempts": [
            {"course": titles.get(a.course_id), "number": a.number,
             "started_at": _iso(a.started_at), "submitted_at": _iso(a.submitted_at),
             "score_percent": a.score_percent, "passed": a.passed, "answers": a.responses}
            for a in db.session.scalars(select(QuizAttempt).where(
                QuizAttempt.user_id == user.id).order_by(QuizAttempt.id))],
        # Quiz answers given offline and sent from a device (lms/offline).
        "offline_answers": [
            {"course": titles.get(o.course_id), "status": o.status, "reason": o.reason,
             "answered_at": _iso(o.answered_at), "received_at": _iso(o.received_at),
             "answers": o.answers}
            for o in db.session.scalars(select(OfflineSubmission).where(
                OfflineSubmission.user_id == user.id).order_by(OfflineSubmission.id))],
        "completions": [
            {"course": titles.get(c.course_id), "completed_on": _iso(c.completed_on),
             "certificate_code": c.code, "score_percent": c.score_percent}
            for c in db.session.scalars(select(Completion).where(
                Completion.user_id == user.id).order_by(Completion.id))],
        "remembered_devices": [
            {"browser": t.browser, "platform": t.platform, "signed_in_at": _iso(t.issued_at),
             "last_used_at": _iso(t.last_used_at), "last_address": t.last_address,
             "expires_at": _iso(t.expires_at), "revoked_at": _iso(t.revoked_at)}
            for t in db.session.scalars(select(RememberToken).where(
                RememberToken.user_id == user.id).order_by(RememberToken.id))],
        # Registered in person by a commune's team (lms/community), classes attended.
        "in_person_registration": _in_person(user),
        "classes_attended": [
            {"held_on": _iso(c.held_on), "place": c.place,
             "course": titles.get(c.course_id) if c.course_id else None, "topic": c.topic}
            for c in db.session.scalars(select(CommunityClass).join(
                ClassAttendance, ClassAttendance.class_id == CommunityClass.id).where(
                ClassAttendance.user_id == user.id).order_by(CommunityClass.held_on))],
        "official_record": None,
    }
    if official is not None:
        data["official_record"] = {
            "employee_code": official.employee_code, "full_name": official.full_name,
            "unit": official.unit.name, "category": official.category,
            "position": official.position, "is_leader": official.is_leader,
            "is_it_officer": official.is_it_officer, "email": official.email,
            "phone": official.phone, "status": official.status,
            "left_on": _iso(official.left_on),
            "classroom_training": [
                {"course": titles.get(t.course_id), "completed_on": _iso(t.completed_on),
                 "source": t.source, "status": t.status, "review_note": t.review_note}
                for t in db.session.scalars(select(ExternalTraining).where(
                    ExternalTraining.official_id == official.id))],
        }
    return data


def _in_person(user: User) -> dict[str, Any] | None:
    record = db.session.scalar(select(InPersonRegistration).where(
        InPersonRegistration.user_id == user.id))
    if record is None:
        return None
    helper = db.session.get(User, record.helper_id)
    return {"registered_at": _iso(record.created_at), "consent_at": _iso(record.consent_at),
            "consent_notice_version": record.consent_version, "consent": "in person",
            "witnessed_by": helper.full_name if helper else None,
            "citizen_id": record.citizen_id, "activated_at": _iso(record.activated_at)}


def _two_factor(user: User) -> dict[str, Any] | None:
    record = twofactor.record_of(user)
    if record is None or record.confirmed_at is None:
        return None
    return {"enabled_at": _iso(record.confirmed_at), "last_used_at": _iso(record.last_used_at),
            "recovery_codes_left": twofactor.remaining_recovery_codes(user)}


def can_delete(user: User) -> bool:
    """Self-service deletion is for citizens and businesses; officials' records are
    kept by law, and staff accounts are closed by an administrator."""
    return user.role in ("citizen", "business")


def anonymise(user: User) -> None:
    """Blank every personal field and end all sessions; progress rows stay, unnamed."""
    if not can_delete(user):
        raise DeletionRefused(mark("Tài khoản cán bộ, công chức, viên chức và tài khoản quản "
                                   "trị không tự xóa được; hồ sơ bồi dưỡng được lưu theo quy "
                                   "định."))
    audit.record("account.delete", target=f"user {user.id}", detail={"role": user.role})
    # Mail: nothing more is sent to the address, and the outbox forgets it.
    forget_address(user.email)
    db.session.execute(delete(EmailLink).where(EmailLink.user_id == user.id))
    user.full_name = f"Tài khoản đã xóa #{user.id}"
    user.email = None
    user.phone = None
    user.tax_code = None
    user.pending_email = None
    user.password_hash = None
    user.is_active = False
    user.anonymised_at = utcnow()
    end_sessions(user)
    # Free answers could hold personal text: keep the scores, drop the answers.
    db.session.execute(update(QuizAttempt).where(QuizAttempt.user_id == user.id)
                       .values(responses=None))
    db.session.execute(update(OfflineSubmission).where(OfflineSubmission.user_id == user.id)
                       .values(answers=None))
    db.session.execute(delete(PendingImport).where(PendingImport.user_id == user.id))
    # Registered in person: the ID number and any unused activation code go.
    db.session.execute(update(InPersonRegistration).where(
        InPersonRegistration.user_id == user.id).values(citizen_id=None, code_hash=None))
    # Which browsers, from which addresses: nothing to keep once signed out everywhere.
    db.session.execute(delete(RememberToken).where(RememberToken.user_id == user.id))
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(TwoFactor).where(TwoFactor.user_id == user.id))
    db.session.execute(update(ActivationToken).where(ActivationToken.created_by_id == user.id)
                       .values(created_by_id=None))
    db.session.flush()
