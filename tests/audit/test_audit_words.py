"""The audit log in Vietnamese words (issue 16, point 7): every action has a label,
details read as labelled lines instead of JSON, English-era targets are translated."""

from __future__ import annotations

import json
import re
from pathlib import Path

from lms.audit import labels
from lms.audit import logic as audit
from lms.auth import logic as auth
from lms.extensions import db
from lms.org.logic import unit_by_code
from lms.reports import tokens
from tests.builders import load_units
from tests.conftest import login


def recorded_actions() -> set[str]:
    """The action codes the code records: audit.record("…") calls, and the review's
    decision, whose code is chosen just before its call."""
    source = "\n".join(path.read_text(encoding="utf-8")
                       for path in Path(audit.__file__).parents[1].rglob("*.py"))
    found = set(re.findall(r'audit\.record\(\s*"([^"]+)"', source))
    for chosen in re.findall(r'action = "([^"]+)" if .* else "([^".]+\.[^"]+)"', source):
        found |= set(chosen)
    return found


def test_every_recorded_action_has_a_vietnamese_label():
    recorded = recorded_actions()
    assert {"import", "community.register", "training.reject"} <= recorded
    assert sorted(recorded - set(labels.ACTION_LABELS)) == []
    assert labels.action_label("token.create") == "Tạo mã API"
    assert labels.action_label("khong.biet") == "Việc khác (khong.biet)"


def test_details_read_as_labelled_lines(app):
    lines = labels.detail_lines(json.dumps({
        "kind": "officials", "rows": 1200, "created": 3, "effective": "2026-07-01",
        "correction": True, "officials": [f"CB{i}" for i in range(70)], "role": "unit_manager",
        "records": {"created": {"ky-nang-so-co-ban": {"2026-05-15": ["CB-1"]}}}}))
    as_dict = dict(lines)
    assert as_dict["Loại"] == "Danh sách cán bộ"
    assert as_dict["Số dòng"] == "1.200"
    assert as_dict["Hiệu lực từ"] == "01/07/2026"
    assert as_dict["Sửa dữ liệu đã nhập (không phải thay đổi mới)"] == "Có"
    assert as_dict["Cán bộ"].endswith("… và 10 mục khác")
    assert as_dict["Vai trò"] == "Cán bộ tổ chức (quản lý đơn vị)"
    assert as_dict["Hồ sơ"] == "Thêm mới: ky-nang-so-co-ban: 15/05/2026: CB-1"
    assert dict(labels.detail_lines('{"surprise": 1}')) == {"Thông tin khác (surprise)": "1"}


def test_targets_and_actors_recorded_in_english_are_shown_in_words():
    assert labels.target_text("12 link(s)") == "12 đường dẫn"
    assert labels.target_text("3 email(s)") == "3 thư"
    assert labels.target_text("token 4: Hệ thống tỉnh") == "Mã API số 4: Hệ thống tỉnh"
    assert labels.target_text("officials: ds.xlsx") == "Danh sách cán bộ: ds.xlsx"
    assert labels.target_text("Lê An (an@x.vn): admin") == "Lê An (an@x.vn): Quản trị tỉnh"
    assert labels.actor_text("CLI (root)") == "Lệnh trên máy chủ (root)"
    assert labels.actor_text("API token 4: Hệ") == "Mã API số 4: Hệ"


def test_the_log_page_shows_no_code_and_no_json(app, client, admin):
    load_units()
    auth.grant_role("admin@example.vn", "admin")
    tokens.create_token(unit_by_code("SNV"), "Hệ thống báo cáo")
    audit.record("import", target="officials: ds.csv", unit=unit_by_code("SNV"),
                 detail={"kind": "officials", "rows": 2, "created": 2})
    db.session.commit()
    login(client, "admin@example.vn")
    page = client.get("/admin/audit").get_data(as_text=True)
    table = page[page.index("<table"):page.index("</table>")]
    assert "Tạo mã API" in table and "Mã API số 1: Hệ thống báo cáo" in table
    assert "Nhập dữ liệu từ tệp" in table and "Danh sách cán bộ: ds.csv" in table
    assert "<dt>Thêm mới</dt><dd>2</dd>" in table
    assert "{" not in table and "token.create" not in table
    assert not re.search(r"\b(token|import|officials|created|rows|CLI)\b", table)
