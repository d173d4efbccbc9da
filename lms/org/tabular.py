"""Reading HR spreadsheets (CSV or XLSX, first sheet) into checked values.

HR files come from Excel in many shapes: Vietnamese or English headers, a BOM,
dates typed as text or real Excel dates, "có"/"x"/"1" for yes. Everything
here turns one cell into one value or one clear reason.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import zipfile
import zlib
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from xml.parsers import expat

from flask import current_app, has_app_context
from flask_babel import format_decimal
from flask_babel import gettext as _

from lms.util.text import fold

MAX_XLSX_UNCOMPRESSED = 400 * 1024 * 1024  # a roster of 100,000 rows is ~30 MB unzipped
# What reading the first sheet may hold in memory (the LMS_XLSX_MAX_READ_MB setting):
# about four times a 100,000-row roster with the template's columns (55-70 MB).
MAX_XLSX_READ_BYTES = 256 * 1024 * 1024


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
            # A few KB of XML can also make the reader hold gigabytes: refuse that too.
            _check_xlsx_read_size(archive)
    except (zipfile.BadZipFile, NotImplementedError, EOFError) as exc:
        # NotImplementedError: a zip "version" or method Python does not read; EOFError:
        # the directory promises more data than the file holds.
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


# --- what reading an XLSX would hold in memory ------------------------------------------
#
# The zip's declared sizes bound the XML, not what the reader makes of it. python-calamine
# copies a shared string into every cell that refers to it (one 100 KB string in 20,000
# cells: a 10 KB file, 2 GB of memory), and it holds the whole rectangle from the first
# to the last filled cell at 32 bytes a cell (A1 and CV1000000: 100 million cells, 3 GB).
# So the first sheet's XML is streamed first, counting and keeping no text, to estimate
# what reading it would hold; above the budget the file is refused before calamine runs.
# Measured against calamine: 100 KB in 2,000 cells, 191 MB estimated and read; A1 with
# CV1000000, 3,052 MB and 3,051 MB; a 100,000-row roster, 55-67 MB and 59-77 MB.

_GRID_CELL_BYTES = 32  # calamine's Data, one per cell of the sheet's rectangle
_STRING_BYTES = 24  # a Rust String's header (one per entry of the shared-strings table)
_ALLOCATION_BYTES = 16  # the allocator's share of each string's own copy of its text
_CHUNK = 64 * 1024  # XML is fed to the parser this much at a time
# More XML than this not yet turned into a tag or text means one huge tag, which the
# parser would have to keep whole: no spreadsheet writer makes one.
_MAX_PENDING_BYTES = 1024 * 1024
_CELL_REF = re.compile(r"([A-Z]{1,3})([0-9]{1,7})$")


class _Damaged(Exception):
    """The XLSX's XML cannot be scanned; reported as a damaged file."""


@dataclass
class ReadEstimate:
    cells: int = 0  # the cells of the sheet's rectangle (what the reader allocates)
    size: int = 0  # bytes: the rectangle, its cells' text and the shared-strings table


def _read_budget() -> int:
    if has_app_context():
        megabytes = current_app.config.get("LMS_XLSX_MAX_READ_MB")
        if megabytes:
            return int(float(megabytes) * 1024 * 1024)
    return MAX_XLSX_READ_BYTES


def _check_xlsx_read_size(archive: zipfile.ZipFile) -> None:
    budget = _read_budget()
    try:
        estimate = estimate_xlsx_read(archive, budget)
    except (_Damaged, zlib.error, EOFError, RuntimeError, NotImplementedError,
            ValueError) as exc:
        # zlib, EOFError: damaged or cut data; RuntimeError: encrypted;
        # NotImplementedError: an unknown compression method; ValueError: numbers that
        # are not numbers.
        raise TableError(_("Không mở được bảng tính XLSX (tệp bị hỏng?).")) from exc
    if estimate.size > budget:
        megabytes = 1024 * 1024
        raise TableError(_(
            "Tệp quá lớn khi giải nén: %(cells)s ô, đọc ra khoảng %(size)s MB (giới hạn "
            "%(limit)s MB). Hãy xóa các ô và trang tính thừa hoặc chia danh sách thành "
            "nhiều tệp.",
            cells=format_decimal(estimate.cells),
            size=format_decimal(estimate.size / megabytes, format="#,##0"),
            limit=format_decimal(budget / megabytes, format="#,##0")))


def estimate_xlsx_read(archive: zipfile.ZipFile, budget: int) -> ReadEstimate:
    """What reading the first sheet with calamine would hold; streamed, in bounded memory.

    The table of shared-string lengths (4 bytes an entry) is the only thing that grows,
    so reading it stops once the estimate passes ``budget``; the sheet is read to its
    end (its rectangle and text are counted, not kept), so the refusal can say how many
    cells it has.
    """
    names = set(archive.namelist())
    sheet, shared = _first_sheet_parts(archive, names)
    estimate = ReadEstimate()
    lengths = array("I")
    if shared is not None:
        _scan_shared_strings(archive, shared, lengths, estimate, budget)
    if sheet is not None:
        _scan_sheet(archive, sheet, lengths, estimate)
    return estimate


def _local(name: str) -> str:
    """ "x:c" → "c" (a workbook may use a prefix for SpreadsheetML's namespace)."""
    return name[name.index(":") + 1:] if ":" in name else name


def _utf8_length(data: str) -> int:
    return len(data) if data.isascii() else len(data.encode("utf-8", "replace"))


def _stream_xml(archive: zipfile.ZipFile, name: str, start: Callable[[str, dict], None],
                end: Callable[[str], None] | None = None,
                text: Callable[[str], None] | None = None,
                stop: Callable[[], bool] | None = None) -> None:
    """Feed one part of the zip to expat ``_CHUNK`` bytes at a time.

    As defusedxml does, a DTD is refused, so no entity is ever declared, expanded or
    fetched; text reaches ``text`` in pieces of at most ``_CHUNK`` characters and a tag
    may not exceed ``_MAX_PENDING_BYTES``: the memory used does not depend on the file.
    """
    parser = expat.ParserCreate()

    def forbidden(*_args: Any) -> None:
        raise _Damaged("a DTD, an entity or an external reference")

    parser.StartDoctypeDeclHandler = forbidden
    parser.EntityDeclHandler = forbidden
    parser.ExternalEntityRefHandler = forbidden
    parser.buffer_text = True
    parser.buffer_size = _CHUNK
    parser.StartElementHandler = start
    if end is not None:
        parser.EndElementHandler = end
    if text is not None:
        parser.CharacterDataHandler = text
    fed = 0
    try:
        with archive.open(name) as member:
            while chunk := member.read(_CHUNK):
                parser.Parse(chunk, False)
                fed += len(chunk)
                if fed - parser.CurrentByteIndex > _MAX_PENDING_BYTES:
                    raise _Damaged(f"{name}: a tag over {_MAX_PENDING_BYTES} bytes")
                if stop is not None and stop():
                    return
            parser.Parse(b"", True)
    except expat.ExpatError as exc:
        raise _Damaged(f"{name}: {exc}") from exc


def _first_sheet_parts(archive: zipfile.ZipFile,
                       names: set[str]) -> tuple[str | None, str | None]:
    """The first sheet's part and the shared strings' part, found as calamine finds
    them: the workbook's first <sheet> and the workbook's relationships."""
    first: list[str] = []

    def on_workbook(tag: str, attributes: dict) -> None:
        if not first and _local(tag) == "sheet":
            first.extend(v for k, v in attributes.items() if _local(k) == "id")

    targets: dict[str, str] = {}
    shared: list[str] = []

    def on_relationship(tag: str, attributes: dict) -> None:
        if _local(tag) != "Relationship":
            return
        target = attributes.get("Target", "")
        path = (target.lstrip("/") if target.startswith("/")
                else posixpath.normpath(posixpath.join("xl", target)))
        targets[attributes.get("Id", "")] = path
        if attributes.get("Type", "").endswith("/sharedStrings"):
            shared.append(path)

    if "xl/workbook.xml" in names:
        _stream_xml(archive, "xl/workbook.xml", on_workbook, stop=lambda: bool(first))
    if "xl/_rels/workbook.xml.rels" in names:
        _stream_xml(archive, "xl/_rels/workbook.xml.rels", on_relationship)
    sheet = targets.get(first[0]) if first else None
    if sheet not in names:  # no usable relationship: the usual name, else the first sheet
        sheets = sorted(n for n in names if n.startswith("xl/worksheets/")
                        and n.endswith(".xml"))
        sheet = ("xl/worksheets/sheet1.xml" if "xl/worksheets/sheet1.xml" in names
                 else next(iter(sheets), None))
    strings = shared[0] if shared and shared[0] in names else (
        "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else None)
    return sheet, strings


def _scan_shared_strings(archive: zipfile.ZipFile, name: str, lengths: array,
                         estimate: ReadEstimate, budget: int) -> None:
    """The UTF-8 length of every shared string (calamine keeps the whole table)."""
    in_text = False
    length = 0

    def on_start(tag: str, _attributes: dict) -> None:
        nonlocal in_text, length
        tag = _local(tag)
        if tag == "t":
            in_text = True
        elif tag == "si":
            length = 0

    def on_end(tag: str) -> None:
        nonlocal in_text
        tag = _local(tag)
        if tag == "t":
            in_text = False
        elif tag == "si":
            lengths.append(min(length, 0xFFFFFFFF))
            estimate.size += _STRING_BYTES + _ALLOCATION_BYTES + length

    def on_text(data: str) -> None:
        nonlocal length
        if in_text:
            length += _utf8_length(data)

    _stream_xml(archive, name, on_start, on_end, on_text, stop=lambda: estimate.size > budget)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


def _scan_sheet(archive: zipfile.ZipFile, name: str, lengths: array,
                estimate: ReadEstimate) -> None:
    """The rectangle of the sheet's filled cells and the text they would each hold.

    A cell counts when it has a value (calamine skips empty and merely formatted
    cells); a shared string counts its full length in every cell that refers to it.
    """
    shared_count = len(lengths)
    row = column = 0  # of the current cell
    kind: str | None = None  # its type: s (shared string), inlineStr, str, n, b, e, d
    filled = in_value = in_inline = False
    index: list[str] = []  # a shared string's number, as text (kept only while short)
    text_bytes = 0
    top = left = 1 << 30
    bottom = right = 0

    def on_start(tag: str, attributes: dict) -> None:
        nonlocal row, column, kind, filled, in_value, in_inline, index
        tag = _local(tag)
        if tag == "c":
            reference = _CELL_REF.match(attributes.get("r", ""))
            if reference:
                column, row = _column_number(reference[1]), int(reference[2])
            else:
                column += 1
            kind, filled, index = attributes.get("t"), False, []
        elif tag == "v":
            in_value = True
        elif tag == "is":
            in_inline = filled = True
        elif tag == "row":
            number = attributes.get("r", "")
            row = int(number) if number.isdigit() and len(number) < 8 else row + 1
            column = 0

    def on_end(tag: str) -> None:
        nonlocal in_value, in_inline, text_bytes, top, left, bottom, right
        tag = _local(tag)
        if tag == "v":
            in_value = False
        elif tag == "is":
            in_inline = False
        elif tag == "c" and filled:
            if kind == "s":
                number = "".join(index).strip()
                position = int(number) if number.isdigit() and len(number) < 12 else -1
                if 0 <= position < shared_count:
                    text_bytes += _ALLOCATION_BYTES + lengths[position]
            top, bottom = min(top, row), max(bottom, row)
            left, right = min(left, column), max(right, column)

    def on_text(data: str) -> None:
        nonlocal filled, text_bytes
        if in_value:
            filled = True
            if kind == "s":
                if len(index) < 4:
                    index.append(data)
            elif kind in ("str", "d", "e"):  # a formula's text, a date, an error
                text_bytes += _ALLOCATION_BYTES + _utf8_length(data)
        elif in_inline:
            text_bytes += _ALLOCATION_BYTES + _utf8_length(data)

    _stream_xml(archive, name, on_start, on_end, on_text)
    estimate.cells = (bottom - top + 1) * (right - left + 1) if bottom else 0
    estimate.size += estimate.cells * _GRID_CELL_BYTES + text_bytes


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
