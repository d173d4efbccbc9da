"""The state-document layout in an XlsxWriter worksheet, for every report workbook:

- ``write_letterhead``: issuing body (top left) and quốc hiệu / tiêu ngữ / place and
  date (top right), each merged and centred, then the title lines merged across the
  table; returns the first free row.
- ``write_signatures``: "NGƯỜI LẬP BIỂU" (left) and the unit's head (right: the
  signer recorded for the unit, else "THỦ TRƯỞNG ĐƠN VỊ"), with the place-and-date
  line above; returns the first free row.
- ``a4_setup``: A4, portrait or landscape, fit to the page width, the table's header
  rows repeated on every printed page, page numbers in the footer.

They work in constant-memory mode (rows written top to bottom) and write text as
text. Formats are made once per workbook, so calling them for several sheets is cheap.
"""

from __future__ import annotations

from datetime import date

from lms.documents.logic import QUOC_HIEU, TIEU_NGU, Letterhead

_STYLES = {
    "body": {"bold": True, "align": "center", "valign": "vcenter"},
    "parent": {"align": "center", "valign": "vcenter"},
    "nation": {"bold": True, "align": "center", "valign": "vcenter"},
    "motto": {"bold": True, "underline": 1, "align": "center", "valign": "vcenter"},
    "place": {"italic": True, "align": "center", "valign": "vcenter"},
    "title": {"bold": True, "font_size": 13, "align": "center", "valign": "vcenter",
              "text_wrap": True},
    "subtitle": {"align": "center", "valign": "vcenter", "text_wrap": True},
    "note": {"italic": True, "align": "center", "valign": "vcenter"},
    "sign": {"bold": True, "align": "center", "valign": "vcenter"},
}


def fmt(workbook, name: str):
    """One of the layout's formats (made once per workbook, kept on it)."""
    formats = workbook.__dict__.setdefault("_lms_layout_formats", {})
    if name not in formats:
        formats[name] = workbook.add_format(_STYLES[name])
    return formats[name]


def _merged(sheet, row: int, first: int, last: int, text: str, style) -> None:
    if last > first:
        sheet.merge_range(row, first, row, last, text, style)
    else:
        sheet.write_string(row, first, text, style)


def write_letterhead(workbook, sheet, head: Letterhead, last_column: int, *,
                     split_column: int, title: str, lines: list[str],
                     day: date | None) -> int:
    """The header of a report sheet over columns 0..``last_column``: the issuing body
    in columns 0..``split_column - 1``, the nation's words from ``split_column`` on,
    ``title`` and ``lines`` merged across everything. ``day`` dates the document
    (None: blanks to fill in when it is signed). Returns the next free row."""
    left_last = max(split_column - 1, 0)
    right_first = min(split_column, last_column)
    if head.parent_body:
        _merged(sheet, 0, 0, left_last, head.parent_body.upper(), fmt(workbook, "parent"))
        _merged(sheet, 1, 0, left_last, head.issuing_body.upper(), fmt(workbook, "body"))
    else:
        _merged(sheet, 0, 0, left_last, head.issuing_body.upper(), fmt(workbook, "body"))
    if right_first > left_last:
        _merged(sheet, 0, right_first, last_column, QUOC_HIEU, fmt(workbook, "nation"))
        _merged(sheet, 1, right_first, last_column, TIEU_NGU, fmt(workbook, "motto"))
        _merged(sheet, 2, right_first, last_column, head.place_date(day),
                fmt(workbook, "place"))
    row = 3
    sheet.set_row(row, 36)
    _merged(sheet, row, 0, last_column, title, fmt(workbook, "title"))
    for line in lines:
        row += 1
        _merged(sheet, row, 0, last_column, line, fmt(workbook, "subtitle"))
    return row + 1


def write_signatures(workbook, sheet, row: int, head: Letterhead, last_column: int, *,
                     split_column: int, day: date | None) -> int:
    """"NGƯỜI LẬP BIỂU" under columns 0..``split_column - 1`` and the unit's head from
    ``split_column`` on, from ``row``; five empty rows to sign in. Returns the next row."""
    left_last = max(split_column - 1, 0)
    right_first = min(split_column, last_column)
    sign, note = fmt(workbook, "sign"), fmt(workbook, "note")
    _merged(sheet, row, right_first, last_column, head.place_date(day), fmt(workbook, "place"))
    row += 1
    titles = head.signer_lines or ["THỦ TRƯỞNG ĐƠN VỊ"]
    _merged(sheet, row, 0, left_last, "NGƯỜI LẬP BIỂU", sign)
    for number, line in enumerate(titles):
        row += 1 if number else 0
        _merged(sheet, row, right_first, last_column, line.upper(), sign)
    row += 1
    _merged(sheet, row, 0, left_last, "(Ký, ghi rõ họ tên)", note)
    _merged(sheet, row, right_first, last_column, "(Ký, đóng dấu, ghi rõ họ tên)", note)
    row += 5
    if head.signer_name:
        _merged(sheet, row, right_first, last_column, head.signer_name, sign)
    return row + 1


def a4_setup(sheet, *, landscape: bool, repeat_first: int, repeat_last: int | None = None,
             header: str = "") -> None:
    """A4 printing: fit to one page wide, the rows ``repeat_first..repeat_last`` (the
    table's header) on every page, "Trang n/N" at the foot, ``header`` at the top."""
    sheet.set_paper(9)
    if landscape:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.set_margins(left=0.6, right=0.4, top=0.6, bottom=0.6)
    sheet.center_horizontally()
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(repeat_first, repeat_last if repeat_last is not None else repeat_first)
    if header:
        sheet.set_header("&C" + header.replace("&", "&&"))
    sheet.set_footer("&CTrang &P/&N")
