"""Reading HR spreadsheets (CSV or XLSX, first sheet) into checked values.

HR files come from Excel in many shapes: Vietnamese or English headers, a BOM,
dates typed as text or real Excel dates, "có"/"x"/"1" for yes. Everything
here turns one cell into one value or one clear reason.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from lms.util.text import fold

MAX_XLSX_UNCOMPRESSED = 400 * 1024 * 1024  # a roster of 100,000 rows is ~30 MB unzipped


class TableError(ValueError):
    """The file as a whole cannot be read (not one row's problem)."""


class CellError(ValueError):
    """A cell's value cannot be used; the message says why, for the HR officer."""


@dataclass(frozen=True)
class Column:
    name: str  # canonical key used in code, e.g. "employee_code"
    label: str  # the Vietnamese header of the template, e.g. "Mã cán bộ"
    aliases: tuple[str, ...]
    required: bool = False


def row_error(row: int, column: str, reason: str) -> str:
    """ "row 5, Mã đơn vị: reason" (Vietnamese: "dòng 5, ..."); the header is row 1."""
    return _("dòng %(row)d, %(column)s: %(reason)s", row=row, column=column, reason=reason)


@lru_cache(maxsize=8192)
def _key(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", fold(text.replace("\ufeff", ""))).strip("_")


def header_key(text: Any) -> str:
    """ "  Mã Cán Bộ " → "ma_can_bo": case, spaces, diacritics and BOM ignored.

    Cached: the same few words ("công chức", "có", "") fill most cells of a roster.
    """
    return _key(str(text or ""))


def map_headers(headers: list[Any], columns: list[Column]) -> tuple[dict[str, int], list[str]]:
    """Which position holds each known column; errors for missing or doubled ones."""
    by_alias = {}
    for column in columns:
        for alias in (column.name, column.label, *column.aliases):
            by_alias[header_key(alias)] = column
    positions: dict[str, int] = {}
    errors: list[str] = []
    for index, header in enumerate(headers):
        column = by_alias.get(header_key(header))
        if column is None:
            continue
        if column.name in positions:
            errors.append(row_error(1, str(header), _("cột này xuất hiện hai lần")))
            continue
        positions[column.name] = index
    for column in columns:
        if column.required and column.name not in positions:
            errors.append(row_error(1, column.label, _(
                "thiếu cột bắt buộc (tên cột được chấp nhận: %(names)s)",
                names=", ".join((column.label, column.name, *column.aliases)))))
    return positions, errors


def read_table(filename: str, data: bytes) -> tuple[list[Any], Iterator[tuple[int, list[Any]]]]:
    """Headers and (spreadsheet row number, cells) for a CSV or XLSX file.

    The content decides, not the name: a workbook renamed .csv is read as a
    workbook, and a PDF or an old .xls renamed .xlsx gets a message saying what it is.
    """
    suffix = Path(filename).suffix.lower()
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    for magic, message in _NOT_A_TABLE:
        if data.startswith(magic):
            raise TableError(message())
    if suffix in (".xlsx", ".xlsm"):
        raise TableError(_("Tệp không phải là bảng tính XLSX hợp lệ."))
    if suffix in (".csv", ".txt", ""):
        if b"\x00" in data[:8192]:  # a binary file; a stray NUL later is dropped
            raise TableError(_("Tệp không phải là văn bản CSV. Hãy mở bằng Excel rồi lưu "
                               "thành 'CSV UTF-8' hoặc .xlsx."))
        return _read_csv(data)
    raise TableError(_("Hãy dùng tệp .csv hoặc .xlsx (trong Excel: Tệp → Lưu thành)."))


_NOT_A_TABLE = [
    (b"\xd0\xcf\x11\xe0", lambda: _("Đây là tệp Excel 97-2003 (.xls). Trong Excel hãy chọn "
                                     "Tệp → Lưu thành → Sổ làm việc Excel (.xlsx).")),
    (b"%PDF", lambda: _("Đây là tệp PDF, không phải bảng tính. Hãy dùng tệp .xlsx hoặc .csv.")),
    (b"\x89PNG", lambda: _("Đây là ảnh, không phải bảng tính. Hãy dùng tệp .xlsx hoặc .csv.")),
    (b"\xff\xd8\xff", lambda: _("Đây là ảnh, không phải bảng tính. Hãy dùng tệp .xlsx hoặc .csv.")),
]


def _read_csv(data: bytes) -> tuple[list[Any], Iterator[tuple[int, list[Any]]]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableError(
            _("Tệp CSV không ở dạng UTF-8: trong Excel hãy chọn 'CSV UTF-8 (Comma delimited)'.")
        ) from exc
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    # The whole file is in memory already, so a cell as long as the file costs nothing
    # more; without this, csv raises on a cell over 128 KB instead of the row's checks
    # saying which cell is too long.
    csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(reader)
    except StopIteration:
        raise TableError(_("Tệp không có dữ liệu.")) from None

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for number, row in enumerate(reader, start=2):
            if any(cell.strip() for cell in row):
                yield number, row

    return headers, rows()


def _read_xlsx(data: bytes) -> tuple[list[Any], Iterator[tuple[int, list[Any]]]]:
    # python-calamine (Rust) reads a 100,000-row sheet ~10x faster than openpyxl.
    from python_calamine import CalamineWorkbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names or not any(
                    n.startswith("xl/") for n in names):
                raise TableError(_("Tệp nén này không phải bảng tính XLSX (có thể là .docx "
                                   "hoặc .zip). Hãy dùng tệp .xlsx hoặc .csv."))
            # A few KB can unpack to gigabytes (a "zip bomb"): refuse before reading.
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNCOMPRESSED:
                raise TableError(_("Tệp XLSX giải nén ra quá 400 MB; hãy chia nhỏ tệp."))
    except zipfile.BadZipFile as exc:
        raise TableError(_("Tệp không phải là bảng tính XLSX hợp lệ.")) from exc
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = workbook.get_sheet_by_index(0).iter_rows()
    except Exception as exc:  # the reader raises several kinds for a damaged file
        raise TableError(_("Không mở được bảng tính XLSX (tệp bị hỏng?).")) from exc
    # Rows come from the sheet's first row on, so numbers match what Excel shows.
    numbered = enumerate(rows, start=1)
    for _number, row in numbered:
        if any(_filled(cell) for cell in row):
            headers = list(row)
            break
    else:
        raise TableError(_("Trang tính đầu tiên không có dữ liệu.")) from None

    def data_rows() -> Iterator[tuple[int, list[Any]]]:
        for number, row in numbered:
            if any(_filled(cell) for cell in row):
                yield number, list(row)

    return headers, data_rows()


def _filled(cell: Any) -> bool:
    return cell is not None and (not isinstance(cell, str) or cell.strip() != "")


# --- cell parsers --------------------------------------------------------------------

TRUE_WORDS = {"yes", "y", "co", "x", "1", "true", "dung"}
FALSE_WORDS = {"no", "n", "khong", "0", "false", "", "sai"}


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # Excel stores typed codes such as 123 as 123.0
    # A NUL (past the first 8 KB of a CSV, or "_x0000_" in a workbook) means nothing
    # in a cell, and PostgreSQL refuses it in text.
    return str(value).replace("\x00", "").strip()


def parse_bool(value: Any) -> bool:
    word = header_key(text(value)).replace("_", "")
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise CellError(_("'%(v)s' không phải có/không (dùng có/không, x, 1/0, true/false)",
                      v=text(value)))


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_VN = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


def parse_date(value: Any) -> date | None:
    if value is None or text(value) == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    raw = raw.split(" ")[0] if " 00:00" in raw else raw
    for pattern, order in ((_ISO, "ymd"), (_VN, "dmy")):
        match = pattern.match(raw)
        if match:
            parts = dict(zip(order, (int(g) for g in match.groups()), strict=True))
            try:
                return date(parts["y"], parts["m"], parts["d"])
            except ValueError:
                raise CellError(_("'%(v)s' không phải là ngày có thật", v=raw)) from None
    raise CellError(_("'%(v)s' không phải là ngày (dùng DD/MM/YYYY hoặc YYYY-MM-DD)", v=raw))


def parse_choice(value: Any, choices: dict[str, str], what: str, allowed: str) -> str:
    """A value from ``choices`` (keys are header_key()-normalised words); ``allowed``
    names, for the error message, the words a person would type."""
    key = header_key(text(value))
    if key in choices:
        return choices[key]
    raise CellError(_("'%(v)s' không hợp lệ cho %(what)s (dùng %(allowed)s)",
                      v=text(value), what=what, allowed=allowed))


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_email(value: Any) -> str | None:
    raw = text(value).lower()
    if not raw:
        return None
    if not _EMAIL.match(raw) or len(raw) > 255:
        raise CellError(_("'%(v)s' không phải địa chỉ email", v=raw))
    return raw
