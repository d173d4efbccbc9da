"""Citizens' coverage as CSV, XLSX and JSON, with the conventions of the officials'
report (lms/reports/exports.py): one registry of formats shared by the page, the
CLI and the API; CSV in UTF-8 with a BOM and neutralised cells; a formal XLSX sheet
(issuing body, title, as-of date, frozen header, percent format) plus a sheet of the
teams' activity; the same data gives the same bytes.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import xlsxwriter

from lms.community.coverage import HEADERS, Coverage, CoverageRow
from lms.reports.exports import ExportFormat, csv_stream

TITLE = "BÁO CÁO TỶ LỆ NGƯỜI DÂN ĐƯỢC TIẾP CẬN KỸ NĂNG SỐ THEO XÃ, PHƯỜNG"
TEAM_HEADERS = ["Mã đơn vị", "Xã, phường", "Thành viên", "Vai trò trong tổ",
                "Lớp đã tổ chức", "Người dân đã dự lớp"]
TEAM_ROLE_WORDS = {"leader": "Tổ trưởng", "deputy": "Tổ phó", "member": "Thành viên"}


@dataclass
class CoverageFile:
    coverage: Coverage
    unit_code: str
    unit_name: str
    issuing_body: str
    team: Callable[[], list[dict[str, Any]]] = field(default=lambda: [])


def _name(row: CoverageRow, file: CoverageFile) -> tuple[str, str]:
    """The province's total row has no unit of its own: the export names the scope."""
    if row.unit_id == 0:
        return file.unit_code or "", "Toàn tỉnh"
    return row.unit_code, row.unit_name


def _values(file: CoverageFile) -> Iterator[list[Any]]:
    for row in file.coverage.rows:
        values = row.values()
        values[0], values[1] = _name(row, file)
        yield ["" if v is None else v for v in values]


def coverage_json(file: CoverageFile) -> dict[str, Any]:
    rows = []
    for row in file.coverage.rows:
        data = row.as_json()
        data["unit_code"], data["unit_name"] = _name(row, file)
        rows.append(data)
    return {"as_of": file.coverage.as_of.isoformat(), "unit": file.unit_code or None,
            "target_percent": float(file.coverage.target), "rows": rows,
            "team_members": file.team()}


def _csv_chunks(file: CoverageFile) -> Iterator[bytes]:
    for chunk in csv_stream(_values(file), HEADERS):
        yield chunk.encode("utf-8")


def _json_chunks(file: CoverageFile) -> Iterator[bytes]:
    yield json.dumps(coverage_json(file), ensure_ascii=False).encode()


def _xlsx_chunks(file: CoverageFile) -> Iterator[bytes]:
    yield xlsx_bytes(file)


def xlsx_bytes(file: CoverageFile) -> bytes:
    output = io.BytesIO()
    workbook = xlsxwriter.Workbook(output, {"in_memory": True, "strings_to_formulas": False,
                                            "strings_to_numbers": False,
                                            "strings_to_urls": False})
    moment = datetime.combine(file.coverage.as_of, datetime.min.time())
    workbook.set_properties({"title": TITLE, "author": file.issuing_body,
                             "company": file.issuing_body, "created": moment})
    bold = workbook.add_format({"bold": True})
    head = workbook.add_format({"bold": True, "bg_color": "#FDE9D9", "border": 1,
                                "text_wrap": True, "valign": "vcenter", "align": "center"})
    text = workbook.add_format({"border": 1})
    strong = workbook.add_format({"border": 1, "bold": True})
    count = workbook.add_format({"border": 1, "num_format": "#,##0"})
    share = workbook.add_format({"border": 1, "num_format": "0.0%"})
    target = workbook.add_format({"border": 1, "num_format": "0%"})
    sheet = workbook.add_worksheet("Bao phủ")
    for index, width in enumerate([16, 40, 11, 16, 10, 14, 10, 28, 14, 14, 14, 12, 10, 12,
                                   11, 12]):
        sheet.set_column(index, index, width)
    sheet.write_string(0, 0, file.issuing_body, bold)
    sheet.write_string(0, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", bold)
    sheet.write_string(1, 5, "Độc lập - Tự do - Hạnh phúc", bold)
    sheet.write_string(3, 0, TITLE, workbook.add_format({"bold": True, "font_size": 13}))
    sheet.write_string(4, 0, f"Đơn vị: {file.unit_name}")
    sheet.write_string(5, 0, "Số liệu tính đến ngày "
                             f"{file.coverage.as_of.strftime('%d/%m/%Y')}; người dân được "
                             "tiếp cận: đã hoàn thành một khóa học trực tuyến dành cho người "
                             "dân hoặc đã dự một lớp trực tiếp.")
    header_row = 7
    sheet.freeze_panes(header_row + 1, 0)
    for column, header in enumerate(HEADERS):
        sheet.write_string(header_row, column, header, head)
    number = header_row
    for row in file.coverage.rows:
        number += 1
        code, name = _name(row, file)
        style = text if row.is_commune else strong
        sheet.write_string(number, 0, code, style)
        sheet.write_string(number, 1, "    " * max(row.depth, 0) + name, style)
        sheet.write_string(number, 2, row.level, style)
        sheet.write_string(number, 3, row.parent_code or "", style)
        sheet.write_number(number, 4, row.communes, count)
        if row.adults is None:
            sheet.write_string(number, 5, "", text)
        else:
            sheet.write_number(number, 5, row.adults, count)
        if row.population_year:
            sheet.write_number(number, 6, row.population_year, text)
        else:
            sheet.write_string(number, 6, "", text)
        sheet.write_string(number, 7, row.population_source, text)
        sheet.write_number(number, 8, row.citizens_reached, count)
        sheet.write_number(number, 9, row.reached_online, count)
        sheet.write_number(number, 10, row.reached_in_class, count)
        sheet.write_number(number, 11, float(row.percent_reached) / 100, share)
        sheet.write_number(number, 12, float(row.target) / 100, target)
        if row.citizens_remaining is None:
            sheet.write_string(number, 13, "", text)
        else:
            sheet.write_number(number, 13, row.citizens_remaining, count)
        sheet.write_number(number, 14, row.team_members, count)
        sheet.write_number(number, 15, row.classes_held, count)
    team = workbook.add_worksheet("Hoạt động của tổ")
    for index, width in enumerate([16, 30, 30, 16, 14, 18]):
        team.set_column(index, index, width)
    for column, header in enumerate(TEAM_HEADERS):
        team.write_string(0, column, header, head)
    team.freeze_panes(1, 0)
    for number, member in enumerate(file.team(), start=1):
        team.write_string(number, 0, member["unit_code"], text)
        team.write_string(number, 1, member["unit_name"], text)
        team.write_string(number, 2, member["full_name"], text)
        team.write_string(number, 3, TEAM_ROLE_WORDS.get(member["team_role"], ""), text)
        team.write_number(number, 4, member["classes_held"], count)
        team.write_number(number, 5, member["people_reached"], count)
    workbook.close()
    return output.getvalue()


FORMATS: dict[str, ExportFormat] = {
    "csv": ExportFormat("csv", "text/csv; charset=utf-8", _csv_chunks),
    "xlsx": ExportFormat("xlsx", "application/vnd.openxmlformats-officedocument."
                                 "spreadsheetml.sheet", _xlsx_chunks),
    "json": ExportFormat("json", "application/json", _json_chunks),
}


def file_name(unit_code: str, as_of: date, fmt: str) -> str:
    return f"bao-phu-ky-nang-so-{unit_code or 'toan-tinh'}-{as_of.isoformat()}.{fmt}"
