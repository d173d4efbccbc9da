"""Units file: aliases, levels in Vietnamese, parents, cycles, idempotence."""

from __future__ import annotations

from sqlalchemy import func, select

from lms.extensions import db
from lms.org.imports import import_units
from lms.org.logic import subtree_condition, unit_by_code
from lms.org.models import Unit
from tests.builders import UNITS_FILE, csv_bytes, load_units, xlsx_bytes


def units_count() -> int:
    return db.session.scalar(select(func.count(Unit.id)))


def test_vietnamese_headers_and_levels_build_the_tree(app):
    load_units()
    assert units_count() == 5
    snv, office = unit_by_code("SNV"), unit_by_code("SNV-TC")
    assert (snv.level, office.level, unit_by_code("X2").level) == ("department", "office",
                                                                   "commune")
    assert office.parent_id == snv.id
    assert office.path == f"{snv.path}{office.id}/"
    below_snv = db.session.scalars(
        select(Unit.code).where(subtree_condition(snv)).order_by(Unit.code)).all()
    assert below_snv == ["SNV", "SNV-TC"]


def test_english_aliases_and_xlsx(app):
    rows = [["code", "name", "level", "parent_code"], ["P", "Tỉnh", "province", None],
            ["D", "Huyện cũ", "huyện", "P"], ["C", "Phường", "Phường", "D"]]
    result = import_units("units.xlsx", xlsx_bytes(rows))
    assert result.ok, result.errors
    assert unit_by_code("C").level == "commune"


def test_reimport_changes_nothing_and_dry_run_writes_nothing(app):
    dry = import_units("units.csv", csv_bytes(UNITS_FILE), dry_run=True)
    assert dry.counts["created"] == 5
    db.session.rollback()
    assert units_count() == 0
    load_units()
    again = import_units("units.csv", csv_bytes(UNITS_FILE))
    assert (again.counts["unchanged"], again.counts["created"], again.counts["updated"]) == (
        5, 0, 0)


def test_moving_a_unit_rewrites_its_subtree_paths(app):
    load_units()
    moved = [*UNITS_FILE[:3], ["SNV-TC", "Phòng Tổ chức", "Phòng", "X1"], *UNITS_FILE[4:]]
    result = import_units("units.csv", csv_bytes(moved))
    db.session.commit()
    assert result.counts["updated"] == 1
    assert result.changes[0].fields == {"parent_code": ("SNV", "X1")}
    x1, office = unit_by_code("X1"), unit_by_code("SNV-TC")
    assert office.path == f"{x1.path}{office.id}/"


def test_unknown_parent_cycle_second_root_and_bad_level_are_all_reported(app):
    load_units()
    rows = [["code", "name", "level", "parent_code"],
            ["A", "A", "office", "B"],
            ["B", "B", "office", "A"],
            ["C", "C", "phòng", "KHONG-CO"],
            ["R2", "Tỉnh khác", "province", ""],
            ["E", "E", "thôn", "NA"],
            ["", "Không mã", "office", "NA"]]
    with app.test_request_context():  # Vietnamese, as the web UI shows them
        result = import_units("units.csv", csv_bytes(rows))
    assert not result.ok
    assert result.errors == [
        "dòng 6, level: 'thôn' không hợp lệ cho cấp đơn vị (dùng Tỉnh, Sở, Huyện, "
        "Xã, Phòng, Khác)",
        "dòng 7, code: bắt buộc, không được để trống",
        "dòng 2, parent_code: tạo thành vòng lặp: A → B → A",
        "dòng 3, parent_code: tạo thành vòng lặp: B → A → B",
        "dòng 4, parent_code: không có đơn vị 'KHONG-CO' trong tệp hay trong hệ thống",
        "dòng 5, parent_code: bắt buộc: chỉ đơn vị gốc (NA) không có cấp trên",
    ]
    assert units_count() == 5  # nothing imported


def test_a_move_that_would_make_a_cycle_with_stored_units_is_refused(app):
    load_units()
    rows = [UNITS_FILE[0], ["SNV", "Sở Nội vụ", "Sở", "SNV-TC"]]
    result = import_units("units.csv", csv_bytes(rows))
    assert not result.ok
    assert "SNV → SNV-TC → SNV" in result.errors[0]


def test_cli_reports_in_english_and_exits_1(runner, tmp_path, app):
    path = tmp_path / "units.csv"
    path.write_bytes(csv_bytes([["code", "name", "level"], ["X", "", "xã"]]))
    result = runner.invoke(args=["units", "import", str(path)])
    assert result.exit_code == 1
    assert "row 2, name: required, must not be empty" in result.output
    assert "nothing was imported" in result.output
