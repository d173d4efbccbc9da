"""Commune teams: a helper registers citizens present and records classes; the
commune's coverage follows; bad attendance sheets are refused by row; one commune's
helper sees nothing of another's."""

from __future__ import annotations

import html
import io
import json
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lms.auth.models import User
from lms.community.models import (
    ClassAttendance,
    CommunePopulation,
    CommunityClass,
    InPersonRegistration,
    TeamMember,
)
from lms.community.signals import attended_class, registered_in_person
from lms.courses.logic import published_course_or_404
from lms.courses.sync import sync_courses
from lms.extensions import db
from lms.learning import logic as learning
from lms.org.logic import unit_by_code
from lms.reports.tokens import create_token
from lms.util.time import local_today
from tests.builders import csv_bytes, load_units, make_user, write_course, xlsx_bytes
from tests.conftest import enable_two_factor, login, post_form

CODE = re.compile(r"data-activation-code><strong>([A-Z0-9-]+)</strong>")
SHEET_HEADER = ["Ngày học", "Địa điểm", "Khóa học", "Chủ đề", "Số điện thoại", "Số CCCD"]


@pytest.fixture
def world(app, courses_dir):
    write_course(courses_dir, audiences=["citizen"])
    sync_courses(courses_dir)
    load_units()
    x1, x2 = unit_by_code("X1"), unit_by_code("X2")
    helper = make_user("community_helper", phone="0911000001", name="Hỗ trợ Nghi Lộc",
                       unit=x1)
    other_helper = make_user("community_helper", phone="0911000002", name="Hỗ trợ Con Cuông",
                             unit=x2)
    db.session.add(TeamMember(unit_id=x1.id, full_name=helper.full_name, phone=helper.phone,
                              team_role="leader", user_id=helper.id))
    db.session.add(CommunePopulation(unit_id=x1.id, year=2025, adults=10, source="Niên giám"))
    db.session.commit()
    return {"x1": x1, "x2": x2, "helper": helper, "other_helper": other_helper}


def register(client, unit_code="X1", **fields):
    data = {"full_name": "Lê Văn Dân", "phone": "", "citizen_id": "", "consent": "y", **fields}
    url = f"/community/c/{unit_code}/register"
    return post_form(client, url, data, token_from=url)


def coverage_figure(client, code="X1") -> str:
    page = client.get(f"/community/c/{code}").get_data(as_text=True)
    return re.search(r"data-coverage>\s*(.*?)\s*</p>", page, re.S).group(1)


def test_helper_registers_a_citizen_who_activates_with_the_printed_code(client, world):
    login(client, "0911000001")
    response = register(client, phone="0988 123 456", citizen_id="040123456789")
    assert response.status_code == 200
    code = CODE.search(response.get_data(as_text=True)).group(1)
    citizen = db.session.scalar(select(User).where(User.phone == "0988123456"))
    assert citizen.role == "citizen" and citizen.unit_id == world["x1"].id
    assert citizen.password_hash is None and citizen.consent_at is not None
    record = db.session.scalar(select(InPersonRegistration))
    assert record.helper_id == world["helper"].id  # the witness of the consent
    assert record.citizen_id == "040123456789"
    listed = client.get("/community/c/X1/citizens?q=0988123").get_data(as_text=True)
    assert "Lê Văn Dân" in listed and "chưa kích hoạt" in listed

    other = type(client)(client.application)
    form = {"code": code.lower(), "phone": "", "password": "mot-mat-khau-dai",
            "confirm": "mot-mat-khau-dai"}
    response = post_form(other, "/community/activate", form, token_from="/community/activate")
    assert response.headers["Location"].endswith("/login")
    assert login(other, "0988123456", "mot-mat-khau-dai").status_code == 302
    # The code worked once.
    again = post_form(other, "/community/activate", form, token_from="/community/activate")
    assert "Mã kích hoạt không đúng" in again.get_data(as_text=True)


def test_registration_without_consent_or_any_number_is_refused(client, world):
    login(client, "0911000001")
    page = register(client, phone="0988123456", consent="").get_data(as_text=True)
    assert "cần đồng ý" in page
    page = register(client).get_data(as_text=True)
    assert "số điện thoại hoặc số định danh" in page
    assert db.session.scalar(select(func.count()).select_from(InPersonRegistration)) == 0


def test_a_class_recorded_by_the_helper_moves_the_communes_coverage(client, world):
    login(client, "0911000001")
    before = coverage_figure(client)
    assert before.startswith("0% — 0 / 10")
    events = []
    attended_class.connect(lambda sender, **kw: events.append(kw), weak=False)
    register(client, phone="0988000001")
    register(client, full_name="Không Có Điện Thoại", citizen_id="040000000002")
    url = "/community/c/X1/classes/new"
    response = post_form(client, url, {
        "held_on": local_today().isoformat(), "place": "Nhà văn hóa xóm 3",
        "course": "", "topic": "Cài đặt VNeID", "people": "0988000001\n040000000002\n"},
        token_from=url)
    assert response.status_code == 302
    assert coverage_figure(client).startswith("20% — 2 / 10")
    assert events and len(events[-1]["user_ids"]) == 2
    page = client.get("/community/c/X1").get_data(as_text=True)
    assert "Cài đặt VNeID" in page


def test_a_class_form_names_every_problem(client, world):
    login(client, "0911000001")
    register(client, phone="0988000001")
    url = "/community/c/X1/classes/new"
    page = post_form(client, url, {
        "held_on": "2999-01-01", "place": "Xóm 1", "course": "", "topic": "",
        "people": "0988000001\n0999999999\n0988000001"}, token_from=url).get_data(as_text=True)
    assert "chưa tới" in page
    assert "Hãy chọn khóa học hoặc nhập chủ đề" in page
    assert "Dòng 2" in page and "Dòng 3: trùng người với dòng 1" in page
    assert db.session.scalar(select(func.count()).select_from(CommunityClass)) == 0


def upload_sheet(client, data: bytes, name="lop.csv", code="X1"):
    url = f"/community/c/{code}/classes/import"
    return post_form(client, url, {"file": (io.BytesIO(data), name)},
                     token_from=url, content_type="multipart/form-data")


def test_attendance_sheet_with_unknown_course_future_date_or_duplicates_is_refused(client,
                                                                                    world):
    login(client, "0911000001")
    register(client, phone="0988000001")
    register(client, full_name="B", phone="0988000002")
    today = local_today().strftime("%d/%m/%Y")
    sheet = csv_bytes([SHEET_HEADER,
                       [today, "Xóm 1", "ky-nang-so-co-ban", "", "0988000001", ""],
                       [today, "Xóm 1", "khoa-khong-co", "", "0988000002", ""],
                       ["01/01/2999", "Xóm 1", "", "Dịch vụ công", "0988000002", ""],
                       [today, "Xóm 1", "ky-nang-so-co-ban", "", "0988 000 001", ""],
                       [today, "Xóm 1", "", "Dịch vụ công", "0900000000", ""]])
    page = upload_sheet(client, sheet).get_data(as_text=True)
    assert "chưa nhập dòng nào" in page
    assert re.search(r"dòng 3, Khóa học: không có khóa học", page)
    assert re.search(r"dòng 4, Ngày học: ngày 01/01/2999 chưa tới", page)
    assert re.search(r"dòng 5, Số điện thoại: trùng người với dòng 2", page)
    assert re.search(r"dòng 6, Số điện thoại: không có người dân nào", page)
    assert "Tệp có 4 lỗi nên chưa nhập dòng nào." in page
    assert re.search(r'href="/community/c/X1/classes/import">Tải lên tệp đã sửa<', page)
    assert "Xác nhận nhập" not in page
    assert db.session.scalar(select(func.count()).select_from(CommunityClass)) == 0


def test_attendance_sheet_previewed_then_confirmed_writes_its_classes(client, world):
    login(client, "0911000001")
    register(client, phone="0988000001")
    register(client, full_name="B", citizen_id="040000000002")
    today = local_today()
    sheet = xlsx_bytes([SHEET_HEADER,
                        [today, "Xóm 1", "Kỹ năng số cơ bản", "", "0988000001", ""],
                        [today, "Xóm 1", "KỸ NĂNG SỐ  CƠ BẢN", "", "", "040000000002"],
                        [today, "Xóm 2", "", "Thanh toán số", "0988000001", ""]])
    page = upload_sheet(client, sheet, "lop.xlsx").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CommunityClass)) == 0
    token = re.search(r'/community/imports/confirm/([^"]+)"', page).group(1)
    response = post_form(client, f"/community/imports/confirm/{token}",
                         token_from="/community/c/X1")
    assert response.headers["Location"].endswith("/community/c/X1")
    assert db.session.scalar(select(func.count()).select_from(CommunityClass)) == 2
    assert db.session.scalar(select(func.count()).select_from(ClassAttendance)) == 3


def test_a_helper_sees_nothing_of_another_commune(client, world):
    login(client, "0911000002")  # Con Cuông's helper
    assert client.get("/community/c/X1").status_code == 404
    assert client.get("/community/c/X1/citizens").status_code == 404
    assert register(client, "X1", phone="0988000009").status_code == 404
    assert client.get("/community").headers["Location"].endswith("/community/c/X2")
    assert client.get("/community/export.csv").status_code == 403
    # and cannot manage even their own team (HR and the admin do)
    response = post_form(client, "/community/c/X2/members",
                         {"full_name": "A", "team_role": "member"}, token_from="/community/c/X2")
    assert response.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(User).where(
        User.phone == "0988000009")) == 0


def test_a_citizen_of_another_commune_cannot_be_marked_present(client, world):
    make_user("citizen", phone="0977000001", unit=world["x2"])
    login(client, "0911000001")
    url = "/community/c/X1/classes/new"
    page = post_form(client, url, {"held_on": local_today().isoformat(), "place": "Xóm 1",
                                   "topic": "VNeID", "people": "0977000001"},
                     token_from=url).get_data(as_text=True)
    assert "không có người dân nào của xã" in page


def test_hr_adds_a_member_and_grants_the_helper_role(client, world):
    manager = make_user("unit_manager", email="hr@na.vn", unit=unit_by_code("NA"))
    enable_two_factor(manager)
    login(client, "hr@na.vn")
    post_form(client, "/community/c/X2/members", {
        "full_name": "Phạm Thị Hỗ Trợ", "phone": "0912555666", "team_role": "member"},
        token_from="/community/c/X2")
    member = db.session.scalar(select(TeamMember).where(TeamMember.phone == "0912555666"))
    response = post_form(client, f"/community/c/X2/members/{member.id}/helper",
                         token_from="/community/c/X2")
    code = CODE.search(response.get_data(as_text=True)).group(1)
    user = db.session.scalar(select(User).where(User.phone == "0912555666"))
    assert user.role == "community_helper" and user.unit_id == world["x2"].id
    other = type(client)(client.application)
    post_form(other, "/community/activate", {"code": code, "password": "mat-khau-to-ho-tro",
                                             "confirm": "mat-khau-to-ho-tro"},
              token_from="/community/activate")
    assert login(other, "0912555666", "mat-khau-to-ho-tro").status_code == 302
    assert other.get("/community").headers["Location"].endswith("/community/c/X2")


def population_upload(client, rows):
    url = "/community/population/import"
    data = csv_bytes([["Mã đơn vị", "Năm", "Số người trưởng thành", "Nguồn số liệu"], *rows])
    return post_form(client, url, {"file": (io.BytesIO(data), "ds.csv")},
                     token_from=url, content_type="multipart/form-data")


def test_population_keeps_every_year_and_coverage_uses_the_latest(client, world):
    manager = make_user("unit_manager", email="hr@na.vn", unit=unit_by_code("NA"))
    enable_two_factor(manager)
    login(client, "hr@na.vn")
    page = population_upload(client, [["X1", "2026", "20", "Niên giám 2026"],
                                      ["SNV", "2026", "5", "?"],
                                      ["X2", "năm nay", "0", "x"]]).get_data(as_text=True)
    page = html.unescape(page)
    assert "dòng 3, Mã đơn vị: 'SNV' không phải là xã" in page
    assert "dòng 4, Năm" in page and "dòng 4, Số người trưởng thành" in page
    page = population_upload(client, [["X1", "2026", "20", "Niên giám 2026"]]).get_data(
        as_text=True)
    token = re.search(r'/community/imports/confirm/([^"]+)"', page).group(1)
    post_form(client, f"/community/imports/confirm/{token}", token_from="/community")
    years = db.session.execute(select(CommunePopulation.year, CommunePopulation.adults)
                               .order_by(CommunePopulation.year)).all()
    assert [tuple(y) for y in years] == [(2025, 10), (2026, 20)]
    assert "/ 20 người" in coverage_figure(client)


def test_coverage_rolls_up_and_exports_in_every_format(client, world, app):
    x1 = world["x1"]
    reached_online = make_user("citizen", phone="0988000011", unit=x1)
    course = published_course_or_404("ky-nang-so-co-ban")
    learning.record_completion(reached_online, course)
    make_user("citizen", phone="0988000012", unit=x1)  # not reached
    db.session.add(CommunePopulation(unit_id=world["x2"].id, year=2025, adults=30,
                                     source="Niên giám"))
    db.session.commit()
    admin = make_user("admin", email="admin@na.vn")
    enable_two_factor(admin)
    login(client, "admin@na.vn")
    data = json.loads(client.get("/community/export.json").data)
    rows = {row["unit_code"]: row for row in data["rows"]}
    assert rows["X1"]["citizens_reached"] == 1 and rows["X1"]["percent_reached"] == 10.0
    assert rows["NA"]["adults"] == 40 and rows["NA"]["citizens_reached"] == 1
    assert rows["NA"]["percent_reached"] == 2.5 and rows["NA"]["communes"] == 2
    assert rows["X1"]["target_percent"] == 80.0 and rows["X1"]["citizens_remaining"] == 7
    assert data["team_members"][0]["full_name"] == "Hỗ trợ Nghi Lộc"
    csv_text = client.get("/community/export.csv").data.decode("utf-8-sig")
    assert csv_text.splitlines()[0].startswith("Mã đơn vị,Tên đơn vị")
    assert "X1,Xã Nghi Lộc" in csv_text
    workbook = load_workbook(io.BytesIO(client.get("/community/export.xlsx").data))
    assert workbook.sheetnames == ["Bao phủ", "Hoạt động của tổ"]
    page = client.get("/community").get_data(as_text=True)
    assert "Xã Nghi Lộc" in page and "Xã Con Cuông" in page


def test_the_api_answers_with_the_tokens_subtree_only(client, world):
    _record, token = create_token(world["x1"], "Báo cáo xã")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    data = client.get("/api/v1/community/coverage", headers=headers).get_json()
    assert [row["unit_code"] for row in data["rows"]] == ["X1"]
    assert client.get("/api/v1/community/coverage?unit=X2", headers=headers).status_code == 404
    assert client.get("/api/v1/community/coverage").status_code == 401


def test_registered_in_person_is_announced(client, world):
    seen = []
    registered_in_person.connect(lambda sender, **kw: seen.append((sender.code, kw)),
                                 weak=False)
    login(client, "0911000001")
    register(client, phone="0988000001")
    assert seen and seen[-1][0] == "X1"


def test_the_demo_has_a_commune_team_whose_helper_signs_in(runner, course, client):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "community_helper hotro.nghiloc@lms.example or 0912000003" in result.output
    password = re.search(r"hotro\.nghiloc@lms\.example.*password: (\S+)",
                         result.output).group(1)
    assert login(client, "0912000003", password).status_code == 302
    page = client.get("/community/c/NA-X-NGHILOC").get_data(as_text=True)
    assert "14.250 người trưởng thành" in page and "Nhà văn hóa xóm 5" in page


def test_coverage_on_a_past_date_counts_only_what_had_happened(app, world):
    from datetime import timedelta

    from lms.community.coverage import coverage

    x1 = world["x1"]
    person = make_user("citizen", phone="0988000021", unit=x1)
    held = CommunityClass(unit_id=x1.id, held_on=local_today(), place="Xóm", topic="VNeID",
                          helper_id=world["helper"].id)
    db.session.add(held)
    db.session.flush()
    db.session.add(ClassAttendance(class_id=held.id, user_id=person.id))
    db.session.commit()
    assert coverage(x1).total.citizens_reached == 1
    assert coverage(x1, local_today() - timedelta(days=1)).total.citizens_reached == 0


def test_an_official_member_gets_the_roster_records_account_and_leaves_as_an_official(
        client, world):
    from lms.org.models import Official
    from tests.builders import load_roster

    load_roster([["CB-X1-05", "Hồ Văn Cán", "X1", "công chức", "", "", "", "", "", "", ""]])
    manager = make_user("unit_manager", email="hr@na.vn", unit=unit_by_code("NA"))
    enable_two_factor(manager)
    login(client, "hr@na.vn")
    post_form(client, "/community/c/X1/members", {
        "full_name": "Hồ Văn Cán", "phone": "0912777888", "team_role": "deputy",
        "employee_code": "CB-X1-05"}, token_from="/community/c/X1")
    member = db.session.scalar(select(TeamMember).where(TeamMember.phone == "0912777888"))
    assert member.official_id is not None
    post_form(client, f"/community/c/X1/members/{member.id}/helper",
              token_from="/community/c/X1")
    official = db.session.scalar(select(Official).where(Official.employee_code == "CB-X1-05"))
    user = db.session.get(User, official.user_id)
    assert user.role == "community_helper" and user.audience == "official"
    post_form(client, f"/community/c/X1/members/{member.id}/remove",
              token_from="/community/c/X1")
    db.session.refresh(user)
    assert user.role == "official" and user.unit_id is None
    client.get("/community/c/X1")  # the flash message, once
    assert "Hồ Văn Cán" not in client.get("/community/c/X1").get_data(as_text=True)


def test_ones_data_holds_the_in_person_registration_and_deletion_drops_the_id_number(
        client, world):
    from lms.privacy.logic import anonymise, user_data

    login(client, "0911000001")
    register(client, phone="0988000031", citizen_id="040000000031")
    person = db.session.scalar(select(User).where(User.phone == "0988000031"))
    url = "/community/c/X1/classes/new"
    post_form(client, url, {"held_on": local_today().isoformat(), "place": "Xóm 4",
                            "topic": "Thanh toán số", "people": "040000000031"}, token_from=url)
    data = user_data(person)
    assert data["in_person_registration"]["witnessed_by"] == "Hỗ trợ Nghi Lộc"
    assert data["in_person_registration"]["citizen_id"] == "040000000031"
    assert [c["topic"] for c in data["classes_attended"]] == ["Thanh toán số"]
    anonymise(person)
    db.session.commit()
    assert db.session.scalar(select(InPersonRegistration.citizen_id)) is None


def test_a_new_figure_for_a_year_replaces_that_year_only(app, world):
    from lms.community.imports import import_population

    header = ["Mã đơn vị", "Năm", "Số người trưởng thành", "Nguồn số liệu"]
    result = import_population("a.csv", csv_bytes([header, ["X1", "2025", "12", "Niên giám"],
                                                   ["X1", "2026", "15", "Niên giám"]]))
    assert result.ok and result.counts["updated"] == 1 and result.counts["created"] == 1
    assert "Số người trưởng thành: 10 → 12" in result.changes[0].describe()
    db.session.commit()
    assert db.session.scalars(select(CommunePopulation.adults)
                              .order_by(CommunePopulation.year)).all() == [12, 15]


def test_an_attendance_sheet_imported_again_adds_only_the_people_not_yet_recorded(app, world):
    from lms.community.imports import import_attendance

    helper = world["helper"]
    make_user("citizen", phone="0988000041", unit=world["x1"])
    make_user("citizen", phone="0988000042", unit=world["x1"])
    today = local_today().strftime("%d/%m/%Y")
    first = [SHEET_HEADER, [today, "Xóm 1", "", "VNeID", "0988000041", ""]]
    assert import_attendance("a.csv", csv_bytes(first), unit=world["x1"], helper=helper).ok
    db.session.commit()
    again = import_attendance("a.csv", csv_bytes(first), unit=world["x1"], helper=helper)
    assert again.counts["unchanged"] == 1 and again.counts["people"] == 0
    more = import_attendance("b.csv", csv_bytes(first + [[today, "xóm 1", "", "vneid",
                                                           "0988000042", ""]]),
                             unit=world["x1"], helper=helper)
    assert more.counts["updated"] == 1 and more.counts["people"] == 1
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(CommunityClass)) == 1
    assert db.session.scalar(select(func.count()).select_from(ClassAttendance)) == 2
