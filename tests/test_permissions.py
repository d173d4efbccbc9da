"""The permission matrix: every route × every role, with the status each must get.

Roles: nobody signed in, a citizen, a business, an official (a roster record
linked to an account), the HR officer (unit_manager) of Sở Nội vụ "SNV", the
province admin, a province reviewer (province_reviewer: the review queue of
classroom training records and the report's figures, nothing of HR's pages), and an
API token scoped to "SNV" (sent as a Bearer header, with no session: on web pages it
is nobody). "X1" (Xã Nghi Lộc) lies outside SNV's
subtree; "SNV-TC" lies inside it. The helper is a community helper (community_helper,
lms/community) of X1's team: a citizen's pages, and X1's team pages, nothing of X2's.

An expectation is an HTTP status, or, for a redirect, the path it leads to
("/login" is "sign in first"). `test_every_route_is_in_the_matrix` fails when a
route of ``app.url_map`` has no row, so a new page cannot skip this review.
"""

from __future__ import annotations

import functools
import io
import json
import time
from datetime import date
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.security import generate_password_hash

from lms.audit.models import AuditEvent
from lms.auth import activation, remember
from lms.auth.logic import create_user, find_by_identifier, grant_role
from lms.auth.models import ActivationToken
from lms.community.models import TeamMember
from lms.courses.logic import published_course_or_404
from lms.courses.sync import sync_courses
from lms.extensions import db, limiter
from lms.learning import logic as learning
from lms.learning.models import ExternalTraining, QuizAttempt, TrainingClass
from lms.org.logic import unit_by_code
from lms.org.models import Official, PendingImport, Unit
from lms.org.pending import stash_upload
from lms.reports.frozen import freeze
from lms.reports.models import ApiToken
from lms.reports.tokens import create_token, revoke
from tests.builders import (
    PASSWORD,
    ROSTER_HEADER,
    csv_bytes,
    load_roster,
    load_units,
    write_course,
)
from tests.conftest import csrf_token, enable_two_factor, login

ROLES = ("anonymous", "citizen", "business", "official", "manager", "admin", "reviewer",
         "token", "helper")
LOGIN = "/login"  # a redirect to the sign-in page
# Where each role lands after signing in, when not on "Khóa học của tôi".
LANDINGS = {"manager": "/units/SNV", "admin": "/reports", "reviewer": "/review",
            "helper": "/community/c/X1"}

# Any 1x1 PNG: the course folder's one servable kind of file.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


# --- the data every case starts from ---------------------------------------------------

@functools.cache
def _password_hash() -> str:
    """The test password, hashed once and cheaply: scrypt costs ~0.3 s a hash and
    every case makes six accounts (check_password_hash accepts either method)."""
    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1")


def _user(role: str, email: str, unit: Unit | None = None, name: str = "Nguyễn Văn An"):
    user = create_user(full_name=name, role=role, password=None, email=email, unit=unit)
    user.password_hash = _password_hash()
    return user


def _roster_row(code: str, name: str, unit: str, email: str = "") -> list[str]:
    return [code, name, unit, "công chức", "", "", "", email, "", "", ""]


ROSTER = [
    _roster_row("CB-SNV-01", "Nguyễn Văn Sở", "SNV", "canbo@snv.vn"),
    _roster_row("CB-TC-01", "Lê Thị Phòng", "SNV-TC"),
    _roster_row("CB-X1-01", "Trần Văn Xã", "X1"),
    _roster_row("CB-X1-02", "Phạm Thị Xã", "X1"),
]


def build_world(courses_dir) -> dict[str, Any]:
    """Units NA > (SNV > SNV-TC, X1, X2), a roster, a course with a quiz, one
    account per role, and the real ids and codes the URLs need."""
    folder = write_course(courses_dir, audiences=["official", "citizen", "business"],
                          required_for=[{"audience": "official"}])
    (folder / "images").mkdir()
    (folder / "images" / "so-do.png").write_bytes(PNG)
    sync_courses(courses_dir)
    load_units()
    load_roster(ROSTER)
    course = published_course_or_404("ky-nang-so-co-ban")
    snv, x1 = unit_by_code("SNV"), unit_by_code("X1")

    citizen = _user("citizen", "dan@example.vn", x1, "Trần Thị Dân")
    business = _user("business", "hoptacxa@example.vn", x1, "HTX Nghi Lộc")
    business.tax_code, business.business_type = "2901234567", "cooperative"
    official_user = _user("official", "canbo@snv.vn", name="Nguyễn Văn Sở")
    official = db.session.scalar(select(Official).where(Official.employee_code == "CB-SNV-01"))
    official.user_id = official_user.id
    manager = _user("unit_manager", "hr.snv@example.vn", snv)
    manager_x1 = _user("unit_manager", "hr.x1@example.vn", x1)
    admin = _user("admin", "admin@example.vn")
    # Admins and HR officers cannot use a session without two-factor: theirs is set up
    # (and clients() below signs them in past it, as the second step would).
    for staff in (manager, manager_x1, admin):
        enable_two_factor(staff)
    _user("province_reviewer", "duyet@example.vn", name="Người duyệt hồ sơ")
    helper = _user("community_helper", "hotro.x1@example.vn", x1, "Tổ viên Nghi Lộc")
    member_x1 = TeamMember(unit_id=x1.id, full_name="Người chưa có tài khoản",
                           phone="0912000111", team_role="member")
    db.session.add(member_x1)
    # Classroom training: a class SNV's HR declared (with its scan) holding a record of
    # SNV (trained online too: no figure moves), one X1's HR declared, and a record of X1
    # without a class.
    pdf = b"%PDF-1.4\n%%EOF\n"
    class_snv = TrainingClass(reference="QĐ 1/SNV", organiser="Sở Nội vụ",
                              created_by_id=manager.id, evidence=pdf, evidence_size=len(pdf),
                              evidence_sha256="0" * 64, evidence_filename="qd.pdf",
                              evidence_mimetype="application/pdf")
    class_x1 = TrainingClass(reference="QĐ 2/X1", organiser="UBND xã Nghi Lộc",
                             created_by_id=manager_x1.id, evidence=pdf, evidence_size=len(pdf),
                             evidence_sha256="1" * 64, evidence_filename="qd.pdf",
                             evidence_mimetype="application/pdf")
    db.session.add_all([class_snv, class_x1])
    db.session.flush()
    by_code = {o.employee_code: o.id for o in db.session.scalars(select(Official))}
    in_class = ExternalTraining(official_id=by_code["CB-SNV-01"], course_id=course.id,
                                completed_on=date(2026, 5, 15), source="Lớp tập huấn",
                                training_class_id=class_snv.id)
    loose = ExternalTraining(official_id=by_code["CB-X1-01"], course_id=course.id,
                             completed_on=date(2026, 5, 15), source="Lớp tập huấn")
    db.session.add_all([in_class, loose, ExternalTraining(
        official_id=by_code["CB-X1-02"], course_id=course.id, completed_on=date(2026, 5, 15),
        source="Lớp tập huấn", training_class_id=class_x1.id)])

    # The citizen: a failed (submitted) attempt, an open one, and a certificate.
    submitted = learning.open_attempt(citizen, course)
    learning.submit_attempt(citizen, submitted, {})
    still_open = learning.open_attempt(citizen, course)
    citizen_certificate = learning.record_completion(citizen, course)
    official_certificate = learning.record_completion(official_user, course)
    tc = db.session.scalar(select(Official).where(Official.employee_code == "CB-TC-01"))
    [invitation] = activation.invite([tc], manager)
    device, _cookie = remember.issue(citizen, user_agent="Mozilla/5.0 (Linux; Android 14) "
                                     "Chrome/130.0 Mobile Safari/537.36", address="203.0.113.5")
    api_record, api_token = create_token(snv, "Hệ thống báo cáo")
    frozen_snv = freeze(snv, date(2026, 6, 30), user=manager)
    frozen_x1 = freeze(x1, date(2026, 6, 30), user=manager_x1)
    snv_file = csv_bytes([ROSTER_HEADER, _roster_row("CB-SNV-09", "Người mới Sở", "SNV")])
    x1_file = csv_bytes([ROSTER_HEADER, _roster_row("CB-X1-09", "Người mới Xã", "X1")])
    import_token = stash_upload(manager.id, "officials", "snv.csv", snv_file)
    other_import_token = stash_upload(manager_x1.id, "officials", "x1.csv", x1_file)
    sheet = csv_bytes([["Ngày học", "Địa điểm", "Chủ đề", "Số điện thoại"]])
    community_token = stash_upload(helper.id, "attendance", "lop.csv", sheet, "unit=X1")
    db.session.commit()
    return {
        "course": course.slug,
        "lesson": course.active_lessons[0].slug,
        "lesson2": course.active_lessons[1].slug,
        "attempt": submitted.id,
        "open_attempt": still_open.id,
        "certificate": citizen_certificate.code,
        "official_certificate": official_certificate.code,
        "activation": invitation.token,
        "import_token": import_token,
        "other_import_token": other_import_token,
        "api_token": api_token,
        "api_token_id": api_record.id,
        "device": device.id,
        "frozen_snv": frozen_snv.id,
        "frozen_x1": frozen_x1.id,
        "staff_x1": manager_x1.id,
        "class_snv": class_snv.id,
        "class_x1": class_x1.id,
        "record_loose": loose.id,
        "audit_event": db.session.scalar(select(func.min(AuditEvent.id))),
        "member_x1": member_x1.id,
        "community_token": community_token,
    }


# Who each role is (the official signs in with the employee code of their roster record).
SIGN_IN = {
    "citizen": "dan@example.vn",
    "business": "hoptacxa@example.vn",
    "official": "CB-SNV-01",
    "manager": "hr.snv@example.vn",
    "admin": "admin@example.vn",
    "reviewer": "duyet@example.vn",
    "helper": "hotro.x1@example.vn",
}


def browser(app, identifier: str | None = None):
    """A browser, signed in through the login form when ``identifier`` is given."""
    client = app.test_client()
    if identifier is not None:
        response = login(client, identifier)
        assert response.status_code == 302, f"{identifier} could not sign in"
    return client


def clients(app, world: dict[str, Any]) -> dict[str, Any]:
    """One browser per role. The matrix puts the account straight into the session,
    stamped as start_session() does after the password and, for admins and HR officers,
    the second step (the login form costs a page render per role and case; the focused
    tests below sign in through it, and tests/auth/test_twofactor.py shows the pages
    refused before the second step)."""
    by_role = {"anonymous": app.test_client()}
    for role, identifier in SIGN_IN.items():
        user = find_by_identifier(identifier)
        assert user is not None and user.password_hash, identifier
        client = app.test_client()
        with client.session_transaction() as session:
            now = int(time.time())
            session.update(_user_id=user.get_id(), _fresh=True, signed_in_as=user.get_id(),
                           login_at=now, seen_at=now, two_factor=user.get_id())
        by_role[role] = client
    token = app.test_client()
    token.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {world['api_token']}"
    by_role["token"] = token
    return by_role


def outcome(response) -> int | str:
    """The status, or for a redirect where it leads (the path only)."""
    if response.status_code in (301, 302, 303, 307, 308):
        return urlsplit(response.headers["Location"]).path
    return response.status_code


# --- the matrix ------------------------------------------------------------------------


class Row(NamedTuple):
    url: str  # "{name}" is filled from build_world()
    method: str
    expect: dict[str, int | str]
    form: dict[str, str] | None = None  # POST fields besides the CSRF token


def everyone(expect: int | str, **override: int | str) -> dict[str, int | str]:
    return {**dict.fromkeys(ROLES, expect), **override}


def signed_in(expect: int | str, **override: int | str) -> dict[str, int | str]:
    """login_required: anonymous and a bare API token are sent to sign in."""
    return everyone(expect, **{"anonymous": LOGIN, "token": LOGIN, **override})


def managers(manager: int | str, admin: int | str | None = None) -> dict[str, int | str]:
    """manager_required: learners are refused, the SNV manager sees their subtree."""
    return signed_in(403, manager=manager, admin=manager if admin is None else admin)


def readers(manager: int | str, admin: int | str | None = None,
            reviewer: int | str | None = None) -> dict[str, int | str]:
    """The report's page: managers as above, and the province reviewer, who reads the
    whole province's figures like the admin."""
    admin = manager if admin is None else admin
    return {**managers(manager, admin), "reviewer": admin if reviewer is None else reviewer}


def reviewers(expect: int | str, admin: int | str | None = None) -> dict[str, int | str]:
    """The review queue: admins and province reviewers only."""
    return signed_in(403, admin=expect if admin is None else admin, reviewer=expect)


def api(token: int) -> dict[str, int | str]:
    """Token-only: a browser session (even the admin's) is not an API credential."""
    return everyone(401, token=token)


def team(expect: int | str, **override: int | str) -> dict[str, int | str]:
    """Commune team pages (lms/community): the HR officer, the admin and the community
    helper get ``expect`` unless overridden; other learners and the reviewer are refused."""
    return signed_in(403, **{"manager": expect, "admin": expect, "helper": expect,
                             **override})


def owner(*roles: str, others: int = 404) -> dict[str, int | str]:
    """A learner's own record: 404 for anyone else (no hint that it exists)."""
    return signed_in(others, **dict.fromkeys(roles, 200))


MATRIX: list[Row] = [
    # Public pages.
    Row("/", "GET", everyone(200)),
    Row("/privacy", "GET", everyone(200)),
    Row("/help", "GET", everyone(200)),
    Row("/healthz", "GET", everyone(200)),
    Row("/lang", "POST", everyone("/"), {"lang": "en", "next": "/"}),
    Row("/lang", "GET", everyone(405)),
    Row("/courses/", "GET", everyone(200)),
    Row("/courses/{course}", "GET", everyone(200)),
    Row("/courses/khong-co", "GET", everyone(404)),
    Row("/courses/{course}/lessons/{lesson}", "GET", everyone(200)),
    Row("/courses/{course}/lessons/khong-co", "GET", everyone(404)),
    Row("/courses/{course}/files/images/so-do.png", "GET", everyone(200)),
    # Nothing but images leaves the course folder: quiz.yml holds the answers.
    Row("/courses/{course}/files/quiz.yml", "GET", everyone(404)),
    Row("/courses/{course}/files/course.yml", "GET", everyone(404)),
    # Certificates can be verified by anyone: the README promises "certificates that
    # anyone can verify", the page shows only name, course, date and code, and the
    # code is 12 random characters printed on the certificate.
    Row("/verify", "GET", everyone(200)),
    Row("/verify/{certificate}", "GET", everyone(200)),
    Row("/verify/KHONG-CO-MA", "GET", everyone(404)),

    # Accounts.
    # Signed in already: each role's own page (lms/auth/landing.py).
    Row("/login", "GET", signed_in("/my", anonymous=200, token=200, **LANDINGS)),
    Row("/login", "POST", signed_in("/my", anonymous=200, token=200, **LANDINGS)),
    Row("/logout", "POST", signed_in("/")),
    Row("/logout", "GET", everyone(405)),
    Row("/register", "GET", signed_in("/my", anonymous=200, token=200)),
    Row("/register", "POST", signed_in("/my", anonymous=200, token=200)),
    Row("/account/password", "GET", signed_in(200)),
    Row("/account/password", "POST", signed_in(200)),  # empty form: errors, nothing changed
    # Remembered browsers: one's own only ({device} is the citizen's); signing out
    # every other browser keeps this one signed in.
    Row("/account/devices", "GET", signed_in(200)),
    Row("/account/devices/{device}/revoke", "POST", signed_in(404, citizen="/account/devices")),
    Row("/account/devices/{device}/revoke", "GET", everyone(405)),
    Row("/account/devices/999999/revoke", "POST", signed_in(404)),
    Row("/account/devices/revoke-all", "POST", signed_in("/account/devices")),
    Row("/account/devices/revoke-all", "GET", everyone(405)),
    # My account: one's own profile, reminder choice and two-factor (no id in the URL).
    # Empty forms change nothing: the profile goes back to /account, the others show
    # their errors. Two-factor is on for the admin and the HR officers (build_world), off
    # for the learners: set-up and new recovery codes answer accordingly.
    Row("/account", "GET", signed_in(200)),
    Row("/account/profile", "POST", signed_in("/account")),
    Row("/account/profile", "GET", everyone(405)),
    Row("/account/reminders", "POST", signed_in(200)),
    Row("/account/reminders", "GET", everyone(405)),
    Row("/account/two-factor", "GET", signed_in(200)),
    Row("/account/two-factor/setup", "GET", signed_in(
        200, manager="/account/two-factor", admin="/account/two-factor")),
    Row("/account/two-factor/setup", "POST", signed_in(
        200, manager="/account/two-factor", admin="/account/two-factor")),
    Row("/account/two-factor/disable", "POST", signed_in(200)),
    Row("/account/two-factor/disable", "GET", everyone(405)),
    Row("/account/two-factor/recovery-codes", "POST", signed_in(
        "/account/two-factor", manager=200, admin=200)),
    Row("/account/two-factor/recovery-codes", "GET", everyone(405)),
    # The second step of signing in: a session past it goes on to its page.
    Row("/login/two-factor", "GET", signed_in("/my", **LANDINGS)),
    Row("/login/two-factor", "POST", signed_in("/my", **LANDINGS)),
    # The admin resets someone's second factor (audited): the admin only.
    Row("/admin/two-factor", "GET", signed_in(403, admin=200)),
    Row("/admin/two-factor?q=hr", "GET", signed_in(403, admin=200)),
    Row("/admin/two-factor/{staff_x1}/reset", "POST", signed_in(403, admin="/admin/two-factor")),
    Row("/admin/two-factor/999999/reset", "POST", signed_in(403, admin=404)),
    Row("/admin/two-factor/{staff_x1}/reset", "GET", everyone(405)),

    # The one-time link is itself the credential: whoever holds it sees the form.
    Row("/activate/{activation}", "GET", everyone(200)),
    Row("/activate/{activation}", "POST", everyone(200)),  # empty password: form errors
    Row("/activate/not-a-token", "GET", everyone(410)),
    # Quên mật khẩu: anyone may ask (the same answer whatever the address); the reset
    # link is the credential, and a wrong or spent one is gone. A verification link
    # works signed in or not; asking for another mail is one's own account's.
    Row("/password/forgot", "GET", everyone(200)),
    Row("/password/forgot", "POST", everyone(200)),  # empty form: errors, nothing sent
    Row("/password/reset/not-a-token", "GET", everyone(410)),
    Row("/password/reset/not-a-token", "POST", everyone(410)),
    Row("/account/email/verify/not-a-token", "GET", everyone(410)),
    # The one-click unsubscribe link of reminder mails (lms/reminders): its signed token
    # is the authority (a mail client posts with no session, no CSRF token); a bad one
    # is not found by anybody.
    Row("/reminders/unsubscribe/not-a-token", "GET", everyone(404)),
    Row("/reminders/unsubscribe/not-a-token", "POST", everyone(404)),
    Row("/account/email/verify", "POST", signed_in("/my")),
    Row("/account/email/verify", "GET", everyone(405)),

    # One's own data (no id in the URL: nobody else's can be asked for). Self-service
    # deletion is for citizens and businesses; an empty form deletes nothing.
    Row("/account/data", "GET", signed_in(200)),
    Row("/account/data.json", "GET", signed_in(200)),
    Row("/account/delete", "POST", signed_in(403, citizen=400, business=400)),
    Row("/account/delete", "GET", everyone(405)),

    # Learning: one's own progress, attempts and certificates.
    Row("/my", "GET", signed_in(200)),
    Row("/courses/{course}/lessons/{lesson}/done", "POST", signed_in(
        "/courses/{course}/lessons/{lesson2}",
        citizen="/certificates/{certificate}", official="/certificates/{official_certificate}")),
    Row("/courses/{course}/lessons/{lesson}/done", "GET", everyone(405)),
    Row("/courses/{course}/quiz", "GET", signed_in(200)),
    # Answers for the citizen's open attempt: only the citizen may submit them.
    Row("/courses/{course}/quiz", "POST", signed_in(
        404, citizen="/courses/{course}/quiz/attempts/{open_attempt}"),
        {"attempt_id": "{open_attempt}", "q-mot": "1", "blanks": "confirmed"}),
    # A timed quiz starts its clock here; anyone signed in is sent back to the quiz page.
    Row("/courses/{course}/quiz/start", "POST", signed_in("/courses/{course}/quiz")),
    Row("/courses/{course}/quiz/attempts/{attempt}", "GET", owner("citizen")),
    Row("/courses/{course}/quiz/attempts/999999", "GET", signed_in(404)),
    # Offline learning (lms/offline): the web app's files and offline page are public;
    # saving a course draws its offline quiz for the signed-in learner (no draw in this
    # world: the offline quiz page is 404); queued answers posted as a form are not a
    # submission (400); the course pack is for commune helpers, HR officers and admins.
    Row("/sw.js", "GET", everyone(200)),
    Row("/manifest.webmanifest", "GET", everyone(200)),
    Row("/offline", "GET", everyone(200)),
    Row("/offline/token", "GET", signed_in(200)),
    Row("/offline/answers", "GET", signed_in(200)),
    Row("/offline/submissions", "POST", signed_in(400)),
    Row("/offline/submissions", "GET", everyone(405)),
    Row("/courses/{course}/offline", "POST", signed_in(200)),
    Row("/courses/{course}/offline", "GET", everyone(405)),
    Row("/courses/khong-co/offline", "POST", signed_in(404)),
    Row("/courses/{course}/offline/quiz", "GET", signed_in(404)),
    Row("/courses/{course}/pack", "GET", signed_in(403, **{
        role: 200 for role in ("manager", "admin", "helper") if role in ROLES})),
    Row("/courses/khong-co/pack", "GET", signed_in(403, **{
        role: 404 for role in ("manager", "admin", "helper") if role in ROLES})),
    Row("/certificates/{certificate}", "GET", owner("citizen", "admin")),
    Row("/certificates/{official_certificate}", "GET", owner("official", "admin")),
    Row("/certificates/{certificate}.pdf", "GET", owner("citizen", "admin")),
    Row("/certificates/{official_certificate}.pdf", "GET", owner("official", "admin")),
    Row("/certificates/KHONG-CO-MA.pdf", "GET", signed_in(404)),
    Row("/certificates/KHONG-CO-MA", "GET", signed_in(404)),

    # Organisation: HR officers within their subtree, the admin everywhere.
    Row("/units", "GET", managers("/units/SNV", admin="/units/NA")),
    Row("/units/SNV", "GET", managers(200)),
    Row("/units/SNV-TC", "GET", managers(200)),
    Row("/units/X1", "GET", managers(404, admin=200)),
    Row("/units/NA", "GET", managers(404, admin=200)),  # SNV's parent is outside too
    Row("/units/KHONG-CO", "GET", managers(404)),
    Row("/units/SNV/invitations", "POST", managers(200)),
    Row("/units/X1/invitations", "POST", managers(404, admin=200)),
    # What a download would replace is shown first (GET), within the subtree.
    Row("/units/SNV/invitations", "GET", managers(200)),
    Row("/units/X1/invitations", "GET", managers(404, admin=200)),
    # Links by email: the count first (GET), then the mailing, within the subtree.
    Row("/units/SNV/invitations/email", "GET", managers(200)),
    Row("/units/X1/invitations/email", "GET", managers(404, admin=200)),
    Row("/units/SNV/invitations/email", "POST", managers("/units/SNV")),
    Row("/units/X1/invitations/email", "POST", managers(404, admin="/units/X1")),
    Row("/imports/officials", "GET", managers(200)),
    Row("/imports/units", "GET", managers(200)),
    Row("/imports/training", "GET", managers(200)),
    Row("/imports/khong-co", "GET", managers(404)),
    # The course codes a training import names courses by.
    Row("/imports/courses", "GET", managers(200)),
    # Dated reorganisations (merge, abolish…) are the province's: admins only.
    Row("/imports/unit_changes", "GET", managers(403, admin=200)),
    Row("/imports/templates/unit_changes.xlsx", "GET", managers(200)),
    Row("/imports/officials", "POST", managers(200)),  # no file: the form shows the error
    # Status alone cannot tell "confirmed" from "not yours": both go back to /units.
    # test_pending_import_of_another_user_cannot_be_confirmed checks what happened.
    Row("/imports/confirm/{import_token}", "POST", managers("/units")),
    Row("/imports/confirm/{import_token}", "GET", everyone(405)),
    Row("/imports/templates/officials.xlsx", "GET", managers(200)),
    Row("/imports/templates/khong-co.xlsx", "GET", managers(404)),

    # Reports: the manager's scope by default; another unit's is not found.
    # The province reviewer reads the figures (page and trend) only.
    Row("/reports", "GET", readers(200)),
    Row("/reports?unit=SNV-TC", "GET", readers(200)),
    Row("/reports?unit=X1", "GET", readers(404, admin=200)),
    Row("/reports?unit=NA", "GET", readers(404, admin=200)),
    Row("/reports?as_of=hom-qua", "GET", readers(400)),
    Row("/reports/trend.svg", "GET", readers(200)),
    Row("/reports/trend.svg?unit=X1", "GET", readers(404, admin=200)),
    Row("/reports/untrained", "GET", managers(200)),
    Row("/reports/untrained?unit=X1", "GET", managers(404, admin=200)),
    Row("/reports/untrained.csv", "GET", managers(200)),
    Row("/reports/untrained.csv?unit=X1", "GET", managers(404, admin=200)),
    Row("/reports/learners", "GET", managers(200)),
    Row("/reports/export.csv", "GET", managers(200)),
    Row("/reports/export.csv?unit=X1", "GET", managers(404, admin=200)),
    Row("/reports/export.xlsx", "GET", managers(200)),
    Row("/reports/export.xlsx?unit=X1", "GET", managers(404, admin=200)),
    Row("/reports/export.json", "GET", managers(200)),
    Row("/reports/export.json?unit=X1", "GET", managers(404, admin=200)),
    Row("/reports/export.pdf", "GET", managers(404)),
    # Frozen reports (chốt số liệu): the unit's HR and the admin, each within scope.
    Row("/reports/frozen", "GET", managers(200)),
    Row("/reports/frozen?unit=X1", "GET", managers(404, admin=200)),
    Row("/reports/frozen/{frozen_snv}.csv", "GET", managers(200)),
    Row("/reports/frozen/{frozen_x1}.xlsx", "GET", managers(404, admin=200)),
    Row("/reports/frozen/999999.json", "GET", managers(404)),
    Row("/reports/freeze", "POST", managers("/reports/frozen"),
        {"unit": "SNV", "as_of": "2026-06-30", "cycle": "all", "structure": "as-of"}),
    Row("/reports/freeze", "POST", managers(404, admin="/reports/frozen"),
        {"unit": "X1", "as_of": "2026-06-30", "cycle": "all", "structure": "current"}),

    # Classroom training evidence (issue 18): the review queue is the province's (admins
    # and province reviewers); decisions go back to the page they came from.
    Row("/review", "GET", reviewers(200)),
    Row("/review?page=999999999999", "GET", reviewers(200)),
    Row("/review/records", "GET", reviewers(200)),
    Row("/review/classes/{class_snv}", "GET", reviewers(200)),
    Row("/review/classes/999999", "GET", reviewers(404)),
    Row("/review/classes/{class_snv}/verify", "POST",
        reviewers("/review/classes/{class_snv}")),
    Row("/review/classes/{class_x1}/reject", "POST", reviewers("/review/classes/{class_x1}"),
        {"reason": "Không có tên trong danh sách"}),
    Row("/review/classes/{class_snv}/verify", "GET", everyone(405)),
    Row("/review/classes/999999/verify", "POST", reviewers(404)),
    Row("/review/records/{record_loose}/verify", "POST", reviewers("/review/records")),
    Row("/review/records/{record_loose}/reject", "POST", reviewers("/review/records"),
        {"reason": "Trùng hồ sơ"}),
    Row("/review/records/{record_loose}/reject", "GET", everyone(405)),
    Row("/review/records/999999/reject", "POST", reviewers(404), {"reason": "x"}),
    # HR's classes: their subtree's (or the ones they declared); the scan is attached by
    # whoever declared the class or an admin (an empty form: 400), and read by them, the
    # reviewers and the HR officers who see the class.
    Row("/classes", "GET", managers(200)),
    Row("/classes/records", "GET", managers(200)),
    Row("/classes/{class_snv}", "GET", managers(200)),
    Row("/classes/{class_x1}", "GET", managers(404, admin=200)),
    Row("/classes/999999", "GET", managers(404)),
    Row("/classes/{class_snv}/evidence", "POST", managers(400)),
    Row("/classes/{class_x1}/evidence", "POST", managers(404, admin=400)),
    Row("/classes/{class_snv}/evidence", "GET", signed_in(403, manager=200, admin=200,
                                                          reviewer=200)),
    Row("/classes/{class_x1}/evidence", "GET", signed_in(403, manager=404, admin=200,
                                                         reviewer=200)),
    Row("/classes/999999/evidence", "GET", signed_in(403, manager=404, admin=404,
                                                     reviewer=404)),

    # The admin's audit log.
    Row("/admin/audit", "GET", signed_in(403, admin=200)),
    Row("/admin/audit?unit=SNV", "GET", signed_in(403, admin=200)),
    # An event's whole detail (a training import lists every record of its file).
    Row("/admin/audit/{audit_event}.json", "GET", signed_in(403, admin=200)),
    Row("/admin/audit/999999.json", "GET", signed_in(403, admin=404)),
    # API tokens on a page: the admin's only (the token shown once, on creation).
    Row("/admin/tokens", "GET", signed_in(403, admin=200)),
    Row("/admin/tokens", "POST", signed_in(403, admin=200), {"name": "Hệ thống", "unit": "SNV"}),
    Row("/admin/tokens/{api_token_id}/revoke", "POST", signed_in(403, admin="/admin/tokens")),
    Row("/admin/tokens/999999/revoke", "POST", signed_in(403, admin=404)),
    Row("/admin/tokens/{api_token_id}/revoke", "GET", everyone(405)),

    # The reporting system's API: the token's subtree only (errors as docs/hr.md says).
    Row("/api/v1/reports/compliance", "GET", api(200)),
    Row("/api/v1/reports/compliance?unit=SNV-TC", "GET", api(200)),
    Row("/api/v1/reports/compliance?unit=X1", "GET", api(404)),
    Row("/api/v1/reports/compliance?unit=NA", "GET", api(404)),
    Row("/api/v1/reports/compliance?unit=KHONG-CO", "GET", api(404)),
    Row("/api/v1/reports/compliance?as_of=2026-13-01", "GET", api(400)),
    Row("/api/v1/reports/compliance", "POST", everyone(405)),

    # Commune teams (lms/community): the helper within X1, the HR officer within SNV's
    # subtree (no commune: X1 is not found), the admin everywhere; X2 is another
    # commune, SNV no commune at all. Coverage and its exports: HR and the admin.
    Row("/community", "GET", team(200, helper="/community/c/X1")),
    Row("/community?unit=X1", "GET", team(404, admin=200, helper="/community/c/X1")),
    Row("/community/export.csv", "GET", team(200, helper=403)),
    Row("/community/export.xlsx", "GET", team(200, helper=403)),
    Row("/community/export.json?unit=X1", "GET", team(404, admin=200, helper=403)),
    Row("/community/export.pdf", "GET", team(404)),
    Row("/community/c/X1", "GET", team(404, admin=200, helper=200)),
    Row("/community/c/X2", "GET", team(404, admin=200)),
    Row("/community/c/SNV", "GET", team(404)),
    Row("/community/c/X1/citizens", "GET", team(404, admin=200, helper=200)),
    Row("/community/c/X2/citizens", "GET", team(404, admin=200)),
    # The team itself: HR and the admin, never the helper.
    Row("/community/c/X1/members", "POST", team(404, admin="/community/c/X1", helper=403)),
    Row("/community/c/X1/members", "GET", everyone(405)),
    Row("/community/c/X1/members/{member_x1}/helper", "POST",
        team(404, admin=200, helper=403)),
    Row("/community/c/X1/members/999999/helper", "POST", team(404, helper=403)),
    Row("/community/c/X1/members/{member_x1}/helper", "GET", everyone(405)),
    Row("/community/c/X1/members/{member_x1}/remove", "POST",
        team(404, admin="/community/c/X1", helper=403)),
    Row("/community/c/X1/members/{member_x1}/remove", "GET", everyone(405)),
    # What a helper does (empty forms: their errors, nothing written).
    Row("/community/c/X1/register", "GET", team(404, admin=200, helper=200)),
    Row("/community/c/X1/register", "POST", team(404, admin=200, helper=200)),
    Row("/community/c/X2/register", "POST", team(404, admin=200)),
    Row("/community/c/X1/classes/new", "GET", team(404, admin=200, helper=200)),
    Row("/community/c/X1/classes/new", "POST", team(404, admin=200, helper=200)),
    Row("/community/c/X2/classes/new", "POST", team(404, admin=200)),
    Row("/community/c/X1/classes/import", "GET", team(404, admin=200, helper=200)),
    Row("/community/c/X1/classes/import", "POST", team(404, admin=200, helper=200)),
    Row("/community/c/X2/classes/import", "GET", team(404, admin=200)),
    Row("/community/population/import", "GET", team(200, helper=403)),
    Row("/community/population/import", "POST", team(200, helper=403)),
    # Someone else's file is not found: back to /community (the helper's own goes home).
    Row("/community/imports/confirm/{community_token}", "POST",
        team("/community", helper="/community/c/X1")),
    Row("/community/imports/confirm/{community_token}", "GET", everyone(405)),
    Row("/community/templates/attendance.csv", "GET", team(200)),
    Row("/community/templates/khong-co.csv", "GET", team(404)),
    # The printed code is the credential: anyone may open the form (an empty one: errors).
    Row("/community/activate", "GET", everyone(200)),
    Row("/community/activate", "POST", everyone(200)),
    Row("/api/v1/community/coverage", "GET", api(200)),
    Row("/api/v1/community/coverage?unit=X1", "GET", api(404)),
    Row("/api/v1/community/coverage?unit=KHONG-CO", "GET", api(404)),
    Row("/api/v1/community/coverage?as_of=2026-13-01", "GET", api(400)),
    Row("/api/v1/community/coverage", "POST", everyone(405)),
]


def fill(text: str, world: dict[str, Any]) -> str:
    return text.format_map(world)


def request(client, row: Row, world: dict[str, Any]):
    url = fill(row.url, world)
    if row.method == "GET":
        return client.get(url)
    form = {name: fill(value, world) for name, value in (row.form or {}).items()}
    form["csrf_token"] = csrf_token(client, "/")
    return client.open(url, method=row.method, data=form)


@pytest.mark.parametrize("row", MATRIX, ids=[f"{row.method} {row.url}" for row in MATRIX])
def test_permission_matrix(app, courses_dir, row):
    assert set(row.expect) == set(ROLES), "every row names every role"
    world = build_world(courses_dir)
    by_role = clients(app, world)
    wrong = []
    for role in ROLES:
        expected = row.expect[role]
        if isinstance(expected, str):
            expected = fill(expected, world)
        limiter.reset()  # each role starts with fresh allowances: this measures access only
        response = request(by_role[role], row, world)
        got = outcome(response)
        response.close()  # a served file stays open until then
        if got != expected:
            wrong.append(f"{role}: expected {expected!r}, got {got!r}")
    assert not wrong, f"{row.method} {row.url}\n" + "\n".join(wrong)


class _AnyValue(dict):
    def __missing__(self, key: str) -> str:
        return "1"


def test_every_route_is_in_the_matrix(app):
    """Each (rule, method) of the app has a row; only `static` is left out."""
    adapter = app.url_map.bind("localhost")
    covered, stray = set(), []
    for row in MATRIX:
        parts = urlsplit(row.url.format_map(_AnyValue()))
        try:
            rule, _args = adapter.match(parts.path, method=row.method, return_rule=True)
        except MethodNotAllowed:
            continue  # a 405 row: not what covers a route
        except NotFound:
            stray.append(f"{row.method} {row.url}")
            continue
        covered.add((rule.rule, row.method))
    assert not stray, "rows that match no route (a typo?):\n" + "\n".join(stray)
    missing = sorted(
        f"{method} {rule.rule} ({rule.endpoint})"
        for rule in app.url_map.iter_rules() if rule.endpoint != "static"
        for method in rule.methods - {"HEAD", "OPTIONS"}
        if (rule.rule, method) not in covered
    )
    assert not missing, "routes without a row in MATRIX:\n" + "\n".join(missing)


# --- cross-unit isolation, in detail ---------------------------------------------------


@pytest.fixture
def world(app, courses_dir):
    return build_world(courses_dir)


def officials_snapshot() -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        select(Official.employee_code, Official.full_name, Official.unit_id, Official.status)
        .order_by(Official.employee_code)).all()


def units_snapshot() -> list[tuple]:
    db.session.expire_all()
    return db.session.execute(
        select(Unit.code, Unit.name, Unit.parent_id).order_by(Unit.code)).all()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def roster_uploads() -> int:
    """Roster files waiting for confirmation (the world also holds a helper's sheet)."""
    return db.session.scalar(select(func.count()).select_from(PendingImport)
                             .where(PendingImport.kind == "officials"))


def upload(client, kind: str, rows: list[list[str]]):
    form = {"csrf_token": csrf_token(client, f"/imports/{kind}"),
            "file": (io.BytesIO(csv_bytes(rows)), f"{kind}.csv")}
    return client.post(f"/imports/{kind}", data=form, content_type="multipart/form-data")


def test_manager_and_token_see_only_their_subtree_in_reports(app, world):
    hr = browser(app, "hr.snv@example.vn")
    report = json.loads(hr.get("/reports/export.json").get_data(as_text=True))
    assert report["unit"] == "SNV"
    assert {row["unit_code"] for row in report["rows"]} == {"SNV", "SNV-TC"}
    untrained = hr.get("/reports/untrained.csv").get_data(as_text=True)
    assert "CB-TC-01" in untrained and "CB-X1-01" not in untrained
    page = hr.get("/reports/untrained").get_data(as_text=True)
    assert "Lê Thị Phòng" in page and "Trần Văn Xã" not in page
    # Citizens and businesses are counted by commune: X1's are not SNV's to see.
    assert "Xã Nghi Lộc" not in hr.get("/reports/learners").get_data(as_text=True)
    admin = browser(app, "admin@example.vn")
    assert "Xã Nghi Lộc" in admin.get("/reports/learners").get_data(as_text=True)

    reporting = app.test_client()
    bearer = {"Authorization": f"Bearer {world['api_token']}"}
    answer = reporting.get("/api/v1/reports/compliance", headers=bearer).get_json()
    assert answer["unit"] == "SNV"
    assert {row["unit_code"] for row in answer["rows"]} == {"SNV", "SNV-TC"}
    refused = reporting.get("/api/v1/reports/compliance?unit=X1", headers=bearer)
    assert refused.status_code == 404 and "rows" not in refused.get_json()
    # A token does not open the web pages, and a session does not open the API.
    assert outcome(reporting.get("/reports/export.json?unit=SNV", headers=bearer)) == LOGIN
    assert hr.get("/api/v1/reports/compliance").status_code == 401
    revoke(db.session.scalar(select(ApiToken.id)))
    db.session.commit()
    assert reporting.get("/api/v1/reports/compliance", headers=bearer).status_code == 401


def test_unit_page_of_a_manager_lists_only_their_officials(app, world):
    hr = browser(app, "hr.snv@example.vn")
    page = hr.get("/units/SNV?q=xa").get_data(as_text=True)
    assert "Trần Văn Xã" not in page and "Phạm Thị Xã" not in page
    assert hr.get("/units/X1?q=tran").status_code == 404


def test_invitations_outside_the_scope_create_no_link(app, world):
    hr = browser(app, "hr.snv@example.vn")
    before = count(ActivationToken)
    response = hr.post("/units/X1/invitations", data={"csrf_token": csrf_token(hr, "/units/SNV")})
    assert response.status_code == 404
    assert count(ActivationToken) == before
    links = hr.post("/units/SNV/invitations",
                    data={"csrf_token": csrf_token(hr, "/units/SNV")}).get_data(as_text=True)
    assert "CB-TC-01" in links and "CB-X1" not in links


def test_manager_cannot_take_over_a_privileged_account_by_activation_link(app, world):
    """The admin grants a role to a roster official who has no account yet: the
    account waits for a password. The unit's HR officer must not be able to issue
    (and so hold) the link that sets it, or they could sign in as that admin."""
    grant_role("CB-TC-01", "admin")
    db.session.commit()
    hr = browser(app, "hr.snv@example.vn")
    links = hr.post("/units/SNV/invitations",
                    data={"csrf_token": csrf_token(hr, "/units/SNV")}).get_data(as_text=True)
    assert "CB-TC-01" not in links
    # The admin may still send that person their link.
    admin = browser(app, "admin@example.vn")
    links = admin.post("/units/SNV/invitations",
                       data={"csrf_token": csrf_token(admin, "/units/SNV")}).get_data(as_text=True)
    assert "CB-TC-01" in links


def test_link_issued_before_a_role_grant_cannot_set_that_accounts_password(app, world):
    """The same takeover with a link HR already held: granting the role ends it."""
    grant_role("CB-TC-01", "admin")  # world["activation"] was issued by SNV's HR before
    db.session.commit()
    page = f"/activate/{world['activation']}"
    hr = app.test_client()
    # The page shows no form for such a link: the token comes from another page.
    hr.post(page, data={"csrf_token": csrf_token(hr, "/login"),
                        "password": "mat-khau-cua-hr-2026", "confirm": "mat-khau-cua-hr-2026"})
    db.session.expire_all()
    assert find_by_identifier("CB-TC-01").password_hash is None


@pytest.mark.parametrize(("kind", "rows", "reason"), [
    ("officials", [ROSTER_HEADER, _roster_row("CB-NEW", "Người mới", "X1")],
     "đơn vị X1 nằm ngoài phạm vi bạn quản lý"),
    # Moving X1's official into SNV would take them over.
    ("officials", [ROSTER_HEADER, _roster_row("CB-X1-01", "Trần Văn Xã", "SNV")],
     "mã cán bộ CB-X1-01 đã được dùng"),
    ("units", [["code", "name", "level", "parent_code"], ["X1-A", "Thôn A", "khác", "X1"]],
     "đơn vị X1 nằm ngoài phạm vi bạn quản lý"),
    ("units", [["code", "name", "level", "parent_code"], ["X1", "Đổi tên", "xã", "SNV"]],
     "đơn vị X1 nằm ngoài phạm vi bạn quản lý"),
    ("training", [["employee_code", "course", "completed_on", "source"],
                  ["CB-X1-01", "ky-nang-so-co-ban", "2026-01-15", "Lớp tập huấn"]],
     "không có cán bộ mã &#39;CB-X1-01&#39; trong danh sách"),  # as if unknown
])
def test_import_touching_another_unit_is_refused_and_changes_nothing(app, world, kind, rows,
                                                                     reason):
    hr = browser(app, "hr.snv@example.vn")
    officials, units = officials_snapshot(), units_snapshot()
    trainings, pending = count(ExternalTraining), count(PendingImport)
    page = upload(hr, kind, rows)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert reason in text
    assert "Xác nhận nhập" not in text  # no confirm button: nothing kept to confirm
    assert count(PendingImport) == pending
    assert officials_snapshot() == officials and units_snapshot() == units
    assert count(ExternalTraining) == trainings


def test_pending_import_of_another_user_cannot_be_confirmed(app, world):
    def confirm(client, token):
        return client.post(f"/imports/confirm/{token}",
                           data={"csrf_token": csrf_token(client, "/imports/officials")})

    def codes():
        return {row[0] for row in officials_snapshot()}

    hr_snv = browser(app, "hr.snv@example.vn")
    admin = browser(app, "admin@example.vn")
    for stranger in (hr_snv, admin):  # X1's manager uploaded this one
        assert outcome(confirm(stranger, world["other_import_token"])) == "/units"
        assert "CB-X1-09" not in codes()
    assert roster_uploads() == 2
    assert outcome(confirm(admin, world["import_token"])) == "/units"
    assert "CB-SNV-09" not in codes()
    # Their owners can.
    assert outcome(confirm(hr_snv, world["import_token"])) == "/units"
    assert outcome(confirm(browser(app, "hr.x1@example.vn"), world["other_import_token"])) \
        == "/units"
    assert {"CB-SNV-09", "CB-X1-09"} <= codes()
    assert roster_uploads() == 0


def test_learner_cannot_see_or_submit_another_learners_attempt(app, world):
    business = browser(app, "hoptacxa@example.vn")
    course, attempt, still_open = world["course"], world["attempt"], world["open_attempt"]
    assert business.get(f"/courses/{course}/quiz/attempts/{attempt}").status_code == 404
    assert business.get(f"/courses/{course}/quiz/attempts/{still_open}").status_code == 404
    response = business.post(f"/courses/{course}/quiz", data={
        "csrf_token": csrf_token(business, "/"), "attempt_id": str(still_open), "q-mot": "1"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(QuizAttempt, still_open).submitted_at is None
    # The citizen's own attempt is theirs to read.
    citizen = browser(app, "dan@example.vn")
    assert citizen.get(f"/courses/{course}/quiz/attempts/{attempt}").status_code == 200


def test_certificate_page_is_private_but_the_code_verifies_publicly(app, world):
    """/certificates/CODE (the printable certificate in the learner's account) is the
    owner's and the admin's; /verify/CODE is public on purpose: an employer or HR
    checks a certificate someone shows them. It says who, which course, when, and
    nothing else of the account."""
    official = browser(app, "CB-SNV-01")
    assert official.get(f"/certificates/{world['certificate']}").status_code == 404
    assert official.get(f"/certificates/{world['official_certificate']}").status_code == 200
    public = app.test_client().get(f"/verify/{world['certificate']}").get_data(as_text=True)
    assert "Trần Thị Dân" in public and world["certificate"] in public
    assert "dan@example.vn" not in public


def test_data_download_holds_only_ones_own_records(app, world):
    citizen = browser(app, "dan@example.vn")
    document = json.loads(citizen.get("/account/data.json").get_data(as_text=True))
    assert document["account"]["email"] == "dan@example.vn"
    codes = {c["certificate_code"] for c in document["completions"]}
    assert codes == {world["certificate"]}
    assert document["official_record"] is None
