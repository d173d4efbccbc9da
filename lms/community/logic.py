"""Commune teams: members, helpers, citizens registered in person, in-person classes.

Who may act on a commune: the admin (every commune), a unit HR officer (the
communes of their subtree) and a community helper (their own commune only; the
commune's id is their ``unit_id``, as a unit manager's scope is). Flush, never
commit: the views and commands do.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select

from lms.audit import logic as audit
from lms.audit.labels import value_text as role_name
from lms.auth.logic import (
    AccountError,
    check_password_policy,
    hash_password,
    is_valid_phone,
    normalise_phone,
)
from lms.auth.models import User
from lms.community import signals
from lms.community.models import (
    ClassAttendance,
    CommunityClass,
    InPersonRegistration,
    TeamMember,
)
from lms.courses.models import Course
from lms.extensions import db
from lms.org.logic import is_within
from lms.org.models import Official, Unit
from lms.util.i18n import mark
from lms.util.time import local_today, utcnow
from lms.util.tokens import token_hash

TEAM_ROLE_NAMES = {"leader": _l("Tổ trưởng"), "deputy": _l("Tổ phó"),
                   "member": _l("Thành viên")}
# Roles that may open a commune's team pages (each within its scope).
TEAM_PAGE_ROLES = ("admin", "unit_manager", "community_helper")
CODE_DAYS = 30
# No 0/O, 1/I/L: read aloud or copied from paper without mistakes.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10
CITIZEN_ID = re.compile(r"^\d{12}$")
PAGE_SIZE = 50


# --- scope ---------------------------------------------------------------------------

def may_see_commune(user, unit: Unit) -> bool:
    if unit.level != "commune":
        return False
    if user.role == "admin":
        return True
    if user.role == "unit_manager" and user.unit is not None:
        return is_within(unit.path, user.unit)
    if user.role == "community_helper":
        return user.unit_id == unit.id
    return False


def may_manage_team(user, unit: Unit) -> bool:
    """Adding members and granting the helper role: the admin and the commune's HR."""
    return user.role in ("admin", "unit_manager") and may_see_commune(user, unit)


def communes_in(scope: Unit | None, today: date | None = None) -> list[Unit]:
    """The communes (today's level) of a subtree, by name: one statement."""
    today = today or local_today()
    query = select(Unit).where(Unit.level == "commune",
                               or_(Unit.valid_to.is_(None), Unit.valid_to >= today))
    if scope is not None:
        query = query.where(Unit.path.startswith(scope.path))
    return list(db.session.scalars(query.order_by(Unit.name)))


# --- codes handed to people ------------------------------------------------------------

def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))


def normalise_code(code: str | None) -> str:
    return re.sub(r"[^A-Z0-9]", "", (code or "").upper())


def format_code(code: str) -> str:
    """ "ABCDE-FGHJK": easier to copy from paper."""
    return f"{code[:5]}-{code[5:]}"


def _issue_code(registration: InPersonRegistration) -> str:
    code = new_code()
    registration.code_hash = token_hash(code)
    registration.code_expires_at = utcnow() + timedelta(days=CODE_DAYS)
    return code


# --- team ------------------------------------------------------------------------------

def team_of(unit: Unit) -> list[TeamMember]:
    return list(db.session.scalars(
        select(TeamMember).where(TeamMember.unit_id == unit.id, TeamMember.left_at.is_(None))
        .order_by(TeamMember.team_role.desc(), TeamMember.full_name)))


def add_member(unit: Unit, *, full_name: str, phone: str | None, team_role: str,
               employee_code: str | None = None) -> TeamMember:
    """A member; with an employee code, linked to that official of the roster, else to
    the citizen account of the commune with this phone number, if there is one."""
    full_name = (full_name or "").strip()
    if not full_name:
        raise AccountError(mark("Hãy nhập họ và tên."), "full_name")
    if team_role not in TEAM_ROLE_NAMES:
        raise AccountError(mark("Hãy chọn vai trò trong tổ."), "team_role")
    phone = normalise_phone(phone)
    if phone and not is_valid_phone(phone):
        raise AccountError(mark("Số điện thoại gồm 10 hoặc 11 chữ số, bắt đầu bằng 0."), "phone")
    member = TeamMember(unit_id=unit.id, full_name=full_name, phone=phone, team_role=team_role)
    code = (employee_code or "").strip()
    if code:
        official = db.session.scalar(select(Official).where(Official.employee_code == code))
        if official is None:
            raise AccountError(mark("Không có cán bộ mã '%(code)s' trong danh sách."),
                               "employee_code", code=code)
        member.official_id = official.id
        member.user_id = official.user_id
    elif phone:
        account = db.session.scalar(select(User).where(User.phone == phone))
        if account is not None and account.role in ("citizen", "community_helper") \
                and account.unit_id == unit.id:
            member.user_id = account.id
    db.session.add(member)
    db.session.flush()
    audit.record("community.member_add", target=f"{full_name} ({unit.code})", unit=unit)
    return member


def remove_member(member: TeamMember) -> None:
    """The member leaves the team; a helper account goes back to being a citizen's."""
    member.left_at = utcnow()
    if member.user_id is not None:
        user = db.session.get(User, member.user_id)
        if user is not None and user.role == "community_helper":
            # Back to what they were: an official (no unit on the account) or a citizen
            # of the commune.
            user.role = "official" if user.official is not None else "citizen"
            if user.role == "official":
                user.unit_id = None
            user.session_version += 1
    db.session.flush()
    unit = db.session.get(Unit, member.unit_id)
    audit.record("community.member_remove", target=f"{member.full_name} ({unit.code})", unit=unit)


@dataclass
class Granted:
    user: User
    code: str | None  # a new account's activation code (shown once, to print)


def grant_helper(member: TeamMember, by: User) -> Granted:
    """Give the member's account the ``community_helper`` role for the commune; a member
    without an account gets one (by phone number) with a code to choose a password."""
    unit = db.session.get(Unit, member.unit_id)
    user = db.session.get(User, member.user_id) if member.user_id else None
    if user is None and member.official_id is not None:
        official = db.session.get(Official, member.official_id)
        user = official.user if official is not None else None
    code = None
    if user is None:
        if not member.phone:
            raise AccountError(mark("Thành viên chưa có tài khoản: hãy nhập số điện thoại để "
                                    "tạo tài khoản."), "phone")
        if db.session.scalar(select(User.id).where(User.phone == member.phone)) is not None:
            raise AccountError(mark("Số điện thoại này đã được dùng cho một tài khoản khác."),
                               "phone")
        user = User(full_name=member.full_name, phone=member.phone, role="community_helper",
                    unit_id=unit.id, password_hash=None)
        db.session.add(user)
        db.session.flush()
        official = db.session.get(Official, member.official_id) if member.official_id else None
        if official is not None and official.user_id is None:
            official.user_id = user.id  # the roster record's account from now on
        registration = InPersonRegistration(
            user_id=user.id, unit_id=unit.id, helper_id=by.id,
            consent_version=current_app.config["LMS_PRIVACY_NOTICE_VERSION"])
        code = _issue_code(registration)
        db.session.add(registration)
    elif user.role not in ("citizen", "official", "community_helper"):
        raise AccountError(mark("Tài khoản này có vai trò %(role)s, không thể làm thành viên "
                                "hỗ trợ."), "phone", role=role_name(user.role))
    elif user.role == "community_helper" and user.unit_id not in (None, unit.id):
        raise AccountError(mark("Người này đã là thành viên hỗ trợ của xã khác."), "phone")
    user.role = "community_helper"
    user.unit_id = unit.id
    user.session_version += 1  # the new permissions apply at the next sign-in
    member.user_id = user.id
    db.session.flush()
    audit.record("role.grant", target=f"{user.full_name}: community_helper", unit=unit)
    return Granted(user, code)


# --- citizens registered in person ----------------------------------------------------

@dataclass
class Registered:
    user: User
    code: str


def _citizen_id(value: str | None) -> str | None:
    value = re.sub(r"\s", "", value or "")
    if not value:
        return None
    if not CITIZEN_ID.match(value):
        raise AccountError(mark("Số định danh cá nhân (CCCD) gồm 12 chữ số."), "citizen_id")
    return value


def register_in_person(unit: Unit, helper: User, *, full_name: str, phone: str | None,
                       citizen_id: str | None, consent: bool) -> Registered:
    """A citizen present before the helper: an account without a password, the consent
    recorded as given in person and witnessed by ``helper``, and a code to print."""
    full_name = (full_name or "").strip()
    if not full_name:
        raise AccountError(mark("Hãy nhập họ và tên."), "full_name")
    if not consent:
        raise AccountError(mark("Người dân cần đồng ý với Thông báo xử lý dữ liệu cá nhân "
                                "(đọc cho họ nghe) trước khi đăng ký."), "consent")
    phone = normalise_phone(phone)
    if phone and not is_valid_phone(phone):
        raise AccountError(mark("Số điện thoại gồm 10 hoặc 11 chữ số, bắt đầu bằng 0."), "phone")
    number = _citizen_id(citizen_id)
    if not phone and not number:
        raise AccountError(mark("Hãy nhập số điện thoại hoặc số định danh cá nhân (CCCD)."),
                           "phone")
    if phone and db.session.scalar(select(User.id).where(User.phone == phone)) is not None:
        raise AccountError(mark("Số điện thoại này đã được dùng cho một tài khoản khác."),
                           "phone")
    if number and db.session.scalar(select(InPersonRegistration.id).where(
            InPersonRegistration.citizen_id == number)) is not None:
        raise AccountError(mark("Số định danh này đã được đăng ký."), "citizen_id")
    now = utcnow()
    version = current_app.config["LMS_PRIVACY_NOTICE_VERSION"]
    user = User(full_name=full_name, phone=phone, role="citizen", unit_id=unit.id,
                password_hash=None, consent_at=now, consent_version=version)
    db.session.add(user)
    db.session.flush()
    registration = InPersonRegistration(user_id=user.id, unit_id=unit.id, helper_id=helper.id,
                                        citizen_id=number, consent_at=now,
                                        consent_version=version)
    code = _issue_code(registration)
    db.session.add(registration)
    db.session.flush()
    audit.record("community.register", target=f"{full_name} ({unit.code})", unit=unit,
                 detail={"witness": helper.id, "consent": "in_person"})
    signals.registered_in_person.send(unit, user_ids=[user.id], helper_id=helper.id)
    return Registered(user, code)


def new_code_for(registration: InPersonRegistration) -> str:
    """A fresh code for a person who lost theirs (the old one stops working)."""
    code = _issue_code(registration)
    db.session.flush()
    return code


def find_by_code(code: str) -> tuple[InPersonRegistration, User] | None:
    code = normalise_code(code)
    if len(code) != CODE_LENGTH:
        return None
    registration = db.session.scalar(select(InPersonRegistration).where(
        InPersonRegistration.code_hash == token_hash(code)))
    if registration is None or registration.activated_at is not None \
            or registration.code_expires_at is None or registration.code_expires_at < utcnow():
        return None
    user = db.session.get(User, registration.user_id)
    if user is None or not user.is_active or user.anonymised_at is not None:
        return None
    return registration, user


def activate(code: str, phone: str | None, password: str) -> User:
    """The citizen (or a new helper) chooses a password; a phone number is needed to sign
    in, so one who was registered by ID number alone gives one now."""
    found = find_by_code(code)
    if found is None:
        raise AccountError(mark("Mã kích hoạt không đúng, đã dùng hoặc đã hết hạn. Hãy nhờ tổ "
                                "công nghệ số cộng đồng cấp mã mới."), "code")
    registration, user = found
    if user.phone is None:
        phone = normalise_phone(phone)
        if not phone or not is_valid_phone(phone):
            raise AccountError(mark("Số điện thoại gồm 10 hoặc 11 chữ số, bắt đầu bằng 0."),
                               "phone")
        if db.session.scalar(select(User.id).where(User.phone == phone)) is not None:
            raise AccountError(mark("Số điện thoại này đã được dùng cho một tài khoản khác."),
                               "phone")
        user.phone = phone
    check_password_policy(password)
    user.password_hash = hash_password(password)
    registration.activated_at = utcnow()
    registration.code_hash = None
    db.session.flush()
    return user


def citizens_page(unit: Unit, query: str, page: int):
    """The commune's citizens (paged, by name), with how each came: one statement a page."""
    statement = (select(User, InPersonRegistration)
                 .outerjoin(InPersonRegistration, InPersonRegistration.user_id == User.id)
                 .where(User.unit_id == unit.id, User.role == "citizen",
                        User.anonymised_at.is_(None)))
    query = (query or "").strip()
    if query:
        digits = re.sub(r"\D", "", query)
        conditions = [func.lower(User.full_name).contains(query.lower())]
        if len(digits) >= 4:
            conditions += [User.phone.contains(digits),
                           InPersonRegistration.citizen_id.contains(digits)]
        statement = statement.where(or_(*conditions))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery())) or 0
    page = max(1, min(page, (total - 1) // PAGE_SIZE + 1 if total else 1))
    rows = db.session.execute(statement.order_by(User.full_name, User.id)
                              .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    return Page([tuple(row) for row in rows], page, total)


@dataclass
class Page:
    """A page of (user, in-person registration or None), as the pager macro reads it."""

    items: list[tuple]
    page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, (self.total - 1) // PAGE_SIZE + 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


# --- in-person classes -------------------------------------------------------------------

class ClassError(ValueError):
    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


def find_course(text: str) -> Course | None:
    """A published course by its slug or its exact title (letter case ignored, Vietnamese
    capitals included: compared in Python, the database's lower() knows ASCII only)."""
    wanted = " ".join((text or "").split()).casefold()
    if not wanted:
        return None
    for course in db.session.scalars(select(Course).where(Course.is_published.is_(True))):
        if course.slug == wanted or " ".join(course.title.split()).casefold() == wanted:
            return course
    return None


def people_of(unit: Unit, keys: list[str]) -> dict[str, int]:
    """Phone numbers and ID numbers of the commune's citizens → user id: one statement."""
    phones = {normalise_phone(k) for k in keys if k}
    numbers = {k for k in keys if k and CITIZEN_ID.match(k)}
    if not phones and not numbers:
        return {}
    rows = db.session.execute(
        select(User.id, User.phone, InPersonRegistration.citizen_id)
        .outerjoin(InPersonRegistration, InPersonRegistration.user_id == User.id)
        .where(User.unit_id == unit.id, User.role.in_(("citizen", "community_helper")),
               User.anonymised_at.is_(None),
               or_(User.phone.in_(phones - {None}),
                   InPersonRegistration.citizen_id.in_(numbers))))
    found: dict[str, int] = {}
    for user_id, phone, number in rows:
        if phone:
            found[phone] = user_id
        if number:
            found[number] = user_id
    return found


def person_key(value: str) -> str:
    """What a phone number or ID number cell is looked up by."""
    value = re.sub(r"\s", "", value or "")
    if CITIZEN_ID.match(value):
        return value
    return normalise_phone(value) or ""


@dataclass
class ClassPlan:
    """A class as it will be written, checked."""

    held_on: date
    place: str
    course: Course | None
    topic: str | None
    user_ids: list[int] = field(default_factory=list)


def check_class(unit: Unit, *, held_on: date | None, place: str, course_text: str,
                topic: str, people: list[str], today: date | None = None) -> ClassPlan:
    """Every problem of a class typed on the form, at once (lines of the attendance box
    numbered from 1)."""
    today = today or local_today()
    errors: list[str] = []
    if held_on is None:
        errors.append(_("Hãy nhập ngày học."))
    elif held_on > today:
        errors.append(_("Ngày học %(d)s chưa tới: chỉ ghi lớp đã học.",
                        d=held_on.strftime("%d/%m/%Y")))
    place = (place or "").strip()
    if not place:
        errors.append(_("Hãy nhập địa điểm."))
    course = find_course(course_text)
    if course_text.strip() and course is None:
        errors.append(_("Không có khóa học '%(c)s'.", c=course_text.strip()))
    topic = (topic or "").strip() or None
    if not course_text.strip() and topic is None:
        errors.append(_("Hãy chọn khóa học hoặc nhập chủ đề."))
    keys = [(number, person_key(line)) for number, line in enumerate(people, start=1)
            if line.strip()]
    found = people_of(unit, [k for _n, k in keys])
    seen: dict[int, int] = {}
    user_ids = []
    for number, key in keys:
        user_id = found.get(key)
        if user_id is None:
            errors.append(_("Dòng %(n)d: không có người dân nào của xã với số '%(k)s'.",
                            n=number, k=key or people[number - 1].strip()))
        elif user_id in seen:
            errors.append(_("Dòng %(n)d: trùng người với dòng %(m)d.", n=number,
                            m=seen[user_id]))
        else:
            seen[user_id] = number
            user_ids.append(user_id)
    if not keys:
        errors.append(_("Hãy nhập số điện thoại hoặc số CCCD của người đã học (mỗi dòng một "
                        "người)."))
    if errors:
        raise ClassError(errors)
    return ClassPlan(held_on, place, course, topic, user_ids)


def write_class(unit: Unit, helper: User, plan: ClassPlan) -> CommunityClass:
    record = CommunityClass(unit_id=unit.id, held_on=plan.held_on, place=plan.place[:255],
                            course_id=plan.course.id if plan.course else None,
                            topic=(plan.topic or "")[:255] or None, helper_id=helper.id)
    db.session.add(record)
    db.session.flush()
    db.session.add_all(ClassAttendance(class_id=record.id, user_id=user_id)
                       for user_id in plan.user_ids)
    db.session.flush()
    signals.attended_class.send(unit, class_id=record.id, user_ids=list(plan.user_ids))
    return record


def classes_of(unit: Unit, limit: int = 50) -> list[tuple[CommunityClass, int, str]]:
    """The commune's latest classes with their number of attendees and who held them."""
    attendees = (select(ClassAttendance.class_id, func.count().label("n"))
                 .group_by(ClassAttendance.class_id).subquery())
    rows = db.session.execute(
        select(CommunityClass, func.coalesce(attendees.c.n, 0), User.full_name)
        .outerjoin(attendees, attendees.c.class_id == CommunityClass.id)
        .join(User, User.id == CommunityClass.helper_id)
        .where(CommunityClass.unit_id == unit.id)
        .order_by(CommunityClass.held_on.desc(), CommunityClass.id.desc()).limit(limit))
    return [tuple(row) for row in rows]


def course_choices() -> list[tuple[str, str]]:
    rows = db.session.execute(select(Course.slug, Course.title)
                              .where(Course.is_published.is_(True),
                                     Course.audiences.contains("citizen"))
                              .order_by(Course.title))
    return [(slug, title) for slug, title in rows]


def registration_of(user_id: int) -> InPersonRegistration | None:
    return db.session.scalar(select(InPersonRegistration).where(
        InPersonRegistration.user_id == user_id))
