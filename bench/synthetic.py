"""Deterministic synthetic HR files: a ~1,000-unit tree and a roster of N officials.

The files look like what a provincial HR office exports from Excel: Vietnamese
headers and values with diacritics, a BOM on the CSV, "Có"/"x"/blank for yes and
no, phones typed in several shapes, DD/MM/YYYY dates. The same seed always gives
byte-identical CSV files (the XLSX files hold the same cells: one as openpyxl
writes it, one stored the way Excel saves it).

    python -m bench.synthetic OUTPUT_DIR [--rows N] [--seed S]
"""

from __future__ import annotations

import argparse
import csv
import random
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

DEFAULT_ROWS = 100_000
DEFAULT_SEED = 20260101

UNIT_HEADER = ["Mã đơn vị", "Tên đơn vị", "Cấp", "Mã đơn vị cấp trên"]
ROSTER_HEADER = ["Mã cán bộ", "Họ và tên", "Mã đơn vị", "Loại", "Chức vụ", "Lãnh đạo",
                 "Phụ trách CNTT", "Email", "Số điện thoại", "Trạng thái", "Ngày nghỉ"]

# Tree shape: 1 province, 20 departments with 7 offices each, 40 districts with
# 20 communes each = 1 + 20 + 140 + 40 + 800 = 1,001 units in four levels.
DEPARTMENTS = 20
OFFICES_PER_DEPARTMENT = 7
DISTRICTS = 40
COMMUNES_PER_DISTRICT = 20

DEPARTMENT_NAMES = [
    "Sở Nội vụ", "Sở Tài chính", "Sở Tư pháp", "Sở Công Thương", "Sở Xây dựng",
    "Sở Giáo dục và Đào tạo", "Sở Y tế", "Sở Khoa học và Công nghệ",
    "Sở Văn hóa, Thể thao và Du lịch", "Sở Nông nghiệp và Môi trường", "Sở Dân tộc và Tôn giáo",
    "Văn phòng UBND tỉnh", "Thanh tra tỉnh", "Ban Quản lý Khu kinh tế Đông Nam",
    "Ban Dân tộc", "Sở Ngoại vụ", "Sở Giao thông vận tải", "Sở Lao động - Thương binh và Xã hội",
    "Ban Quản lý dự án đầu tư xây dựng", "Sở Thông tin và Truyền thông",
]
OFFICE_NAMES = [
    "Văn phòng", "Phòng Tổ chức cán bộ", "Phòng Kế hoạch - Tài chính", "Phòng Pháp chế",
    "Phòng Quản lý chuyên ngành", "Phòng Chuyển đổi số", "Phòng Thanh tra",
]
PLACE_SYLLABLES = [
    "Nghi", "Hưng", "Diễn", "Quỳnh", "Thanh", "Nam", "Đô", "Yên", "Anh", "Tân", "Kỳ", "Con",
    "Cuông", "Tương", "Dương", "Quế", "Phong", "Châu", "Hợp", "Thái", "Hòa", "Bình", "Sơn",
    "Lộc", "Phúc", "Thịnh", "Long", "Trung", "Đông", "Tây", "Bắc", "Mỹ", "Lam", "Hồng",
    "Vinh", "Xuân", "Hạnh", "Thuận", "Khánh", "Minh", "Lĩnh", "Đức", "Tiến", "Kim", "Liên",
]
DISTRICT_KINDS = [("Huyện", 30), ("Thị xã", 6), ("Thành phố", 4)]
COMMUNE_KINDS = [("Xã", 80), ("Phường", 12), ("Thị trấn", 8)]

FAMILY_NAMES = [
    ("Nguyễn", 38), ("Trần", 11), ("Lê", 10), ("Phạm", 7), ("Hoàng", 5), ("Phan", 4),
    ("Vũ", 4), ("Võ", 3), ("Đặng", 2), ("Bùi", 2), ("Đỗ", 2), ("Hồ", 2), ("Ngô", 1),
    ("Dương", 1), ("Lý", 1), ("Đinh", 1), ("Trịnh", 1), ("Đoàn", 1), ("Lương", 1), ("Cao", 1),
    ("Thái", 1), ("Hà", 1), ("Tạ", 1), ("Chu", 1), ("Mai", 1), ("Huỳnh", 1),
]
MIDDLE_NAMES = {
    "m": ["Văn", "Hữu", "Đức", "Minh", "Quang", "Công", "Đình", "Xuân", "Trọng", "Thanh",
          "Bá", "Quốc"],
    "f": ["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Hồng", "Phương", "Kim",
          "Hoài", "Bích"],
}
GIVEN_NAMES = {
    "m": ["Anh", "Bảo", "Cường", "Dũng", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy",
          "Khánh", "Long", "Lâm", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Sơn",
          "Tài", "Thắng", "Thành", "Toàn", "Trung", "Tuấn", "Việt", "Vinh", "Vũ", "Đông"],
    "f": ["Anh", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hồng",
          "Huyền", "Hương", "Lan", "Liên", "Linh", "Loan", "Mai", "Ngân", "Nga", "Nhung",
          "Oanh", "Phương", "Quỳnh", "Thảo", "Thủy", "Trang", "Tuyết", "Vân", "Yến", "Ánh"],
}
CATEGORIES = [("Cán bộ", 15), ("Công chức", 45), ("Viên chức", 33), ("Người lao động", 7)]
LEADER_POSITIONS = {
    "province": ["Chủ tịch UBND tỉnh", "Phó Chủ tịch UBND tỉnh", "Chánh Văn phòng"],
    "department": ["Giám đốc Sở", "Phó Giám đốc Sở"],
    "office": ["Trưởng phòng", "Phó Trưởng phòng"],
    "district": ["Chủ tịch UBND", "Phó Chủ tịch UBND", "Trưởng phòng", "Phó Trưởng phòng"],
    "commune": ["Chủ tịch UBND xã", "Phó Chủ tịch UBND xã", "Bí thư Đảng ủy"],
}
STAFF_POSITIONS = [
    "Chuyên viên", "Chuyên viên", "Chuyên viên chính", "Cán sự", "Văn thư", "Kế toán",
    "Công chức Văn phòng - Thống kê", "Công chức Địa chính - Xây dựng",
    "Công chức Tư pháp - Hộ tịch", "Công chức Văn hóa - Xã hội", "Giáo viên", "Bác sĩ", "",
]
# Officials per unit scale with its level (a department employs more than a commune).
LEVEL_WEIGHTS = {"province": 300, "department": 400, "office": 150, "district": 300,
                 "commune": 70}


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level_word: str  # as HR types it in the file ("Xã", "Sở", ...)
    level: str  # the level the importer will store
    parent_code: str


@dataclass(frozen=True)
class Dataset:
    units_csv: Path
    roster_csv: Path
    roster_xlsx: Path
    roster_xlsx_excel: Path | None
    units: int
    rows: int


def ascii_fold(value: str) -> str:
    value = value.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", value)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([value for value, _ in pairs], weights=[w for _, w in pairs])[0]


def _place(rng: random.Random) -> str:
    first, second = rng.sample(PLACE_SYLLABLES, 2)
    return f"{first} {second}"


def build_units(seed: int = DEFAULT_SEED) -> list[Unit]:
    """The tree in parent-before-child order (the importer accepts any order)."""
    rng = random.Random(f"units-{seed}")
    units = [Unit("NA", "Tỉnh Nghệ An", "Tỉnh", "province", "")]
    for d in range(1, DEPARTMENTS + 1):
        code = f"NA-S{d:02d}"
        units.append(Unit(code, DEPARTMENT_NAMES[(d - 1) % len(DEPARTMENT_NAMES)], "Sở",
                          "department", "NA"))
        for o in range(1, OFFICES_PER_DEPARTMENT + 1):
            units.append(Unit(f"{code}-P{o}", OFFICE_NAMES[(o - 1) % len(OFFICE_NAMES)],
                              "Phòng", "office", code))
    for h in range(1, DISTRICTS + 1):
        code = f"NA-H{h:02d}"
        kind = _weighted(rng, DISTRICT_KINDS)
        units.append(Unit(code, f"{kind} {_place(rng)}", kind, "district", "NA"))
        for x in range(1, COMMUNES_PER_DISTRICT + 1):
            commune_kind = _weighted(rng, COMMUNE_KINDS)
            units.append(Unit(f"{code}-X{x:02d}", f"{commune_kind} {_place(rng)}",
                              commune_kind, "commune", code))
    return units


def build_roster(units: list[Unit], count: int = DEFAULT_ROWS,
                 seed: int = DEFAULT_SEED) -> list[list[str]]:
    """``count`` roster rows: ~10% leaders, ~2% IT officers, ~60% with a unique email,
    ~50% with a phone, ~3% left with a DD/MM/YYYY date. Employee codes are unique."""
    rng = random.Random(f"roster-{seed}")
    weights = [LEVEL_WEIGHTS[u.level] for u in units]
    assigned = rng.choices(units, weights=weights, k=count)
    first_left_day = date(2020, 1, 1)
    rows = []
    for index, unit in enumerate(assigned, start=1):
        sex = "f" if rng.random() < 0.52 else "m"
        family = _weighted(rng, FAMILY_NAMES)
        middle = rng.choice(MIDDLE_NAMES[sex])
        if rng.random() < 0.12:
            others = [m for m in dict.fromkeys(MIDDLE_NAMES[sex]) if m != middle]
            middle = f"{middle} {rng.choice(others)}"
        given = rng.choice(GIVEN_NAMES[sex])
        full_name = f"{family} {middle} {given}"

        is_leader = rng.random() < 0.10
        if is_leader:
            position, leader_cell = rng.choice(LEADER_POSITIONS[unit.level]), "Có"
        else:
            position = rng.choice(STAFF_POSITIONS)
            leader_cell = "Không" if rng.random() < 0.4 else ""
        it_cell = "x" if rng.random() < 0.02 else ""

        email = ""
        if rng.random() < 0.60:
            initials = "".join(part[0] for part in f"{family} {middle}".split())
            email = f"{ascii_fold(given)}.{ascii_fold(initials)}{index}@nghean.gov.vn".lower()
            if rng.random() < 0.05:
                email = email.title()  # typed as it came; the importer lower-cases it
        phone = ""
        if rng.random() < 0.50:
            digits = f"09{rng.randrange(10**8):08d}"
            shape = rng.random()
            if shape < 0.15:
                phone = f"{digits[:4]} {digits[4:7]} {digits[7:]}"
            elif shape < 0.25:
                phone = f"+84 {digits[1:4]} {digits[4:7]} {digits[7:]}"
            else:
                phone = digits

        status, left_on = ("Đang công tác" if rng.random() < 0.8 else ""), ""
        if rng.random() < 0.03:
            status = rng.choice(["Nghỉ việc", "Chuyển công tác", "Nghỉ hưu"])
            day = first_left_day + timedelta(days=rng.randrange(6 * 365))
            left_on = day.strftime("%d/%m/%Y")
        rows.append([f"NA{index:06d}", full_name, unit.code, _weighted(rng, CATEGORIES),
                     position, leader_cell, it_cell, email, phone, status, left_on])
    return rows


def write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    """UTF-8 with a BOM, as Excel's "CSV UTF-8" writes it."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_xlsx(path: Path, header: list[str], rows: list[list[str]], *,
               excel_style: bool = False) -> None:
    """An XLSX written by openpyxl in write-only mode.

    openpyxl stores every text cell as an inline string, blanks included, and no
    sheet dimension. With ``excel_style`` the sheet is stored the way Excel,
    LibreOffice and WPS save it (what HR actually uploads): a shared-strings
    table, blank cells left out, and a ``<dimension>``.
    """
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Dữ liệu")
    if not excel_style:
        sheet.append(header)
        for row in rows:
            sheet.append(row)
    workbook.save(path)
    if excel_style:
        _store_excel_style(path, [header, *rows])


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_SHEET = "xl/worksheets/sheet1.xml"


def _store_excel_style(path: Path, rows: list[list[str]]) -> None:
    """Put ``rows`` into the (empty) first sheet of ``path`` with shared strings."""
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(i) for i in range(1, max(len(r) for r in rows) + 1)]
    strings: dict[str, int] = {}
    source = path.with_suffix(".openpyxl.xlsx")
    path.rename(source)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = old.read(item.filename)
            if item.filename == _SHEET:
                head, tail = data.decode().split("<sheetData></sheetData>")
                head = head.replace("<sheetViews>", f'<dimension ref="A1:{letters[-1]}'
                                                    f'{len(rows)}" /><sheetViews>')
                with new.open(_SHEET, "w") as sheet:
                    sheet.write(f"{head}<sheetData>".encode())
                    for number, row in enumerate(rows, start=1):
                        cells = "".join(
                            f'<c r="{letters[i]}{number}" t="s"><v>'
                            f"{strings.setdefault(value, len(strings))}</v></c>"
                            for i, value in enumerate(row) if value)
                        sheet.write(f'<row r="{number}">{cells}</row>'.encode())
                    sheet.write(f"</sheetData>{tail}".encode())
                continue
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/xl/sharedStrings.xml" '
                                    b'ContentType="application/vnd.openxmlformats-'
                                    b'officedocument.spreadsheetml.sharedStrings+xml" /></Types>')
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Type="http://schemas.'
                                    b"openxmlformats.org/officeDocument/2006/relationships/"
                                    b'sharedStrings" Target="sharedStrings.xml" Id="rIdStrings" />'
                                    b"</Relationships>")
            new.writestr(item, data)
        table = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
        count = sum(1 for row in rows for value in row if value)
        new.writestr("xl/sharedStrings.xml", f'<sst xmlns="{_MAIN}" count="{count}" '
                                             f'uniqueCount="{len(strings)}">{table}</sst>')
    source.unlink()


def generate(directory: Path, *, rows: int = DEFAULT_ROWS, seed: int = DEFAULT_SEED,
             xlsx: bool = True, xlsx_excel: bool = False) -> Dataset:
    """Write units.csv, roster-N.csv, roster-N.xlsx (openpyxl) and, with ``xlsx_excel``,
    roster-N-excel.xlsx (stored as Excel saves it) into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    units = build_units(seed)
    roster = build_roster(units, rows, seed)
    dataset = Dataset(directory / "units.csv", directory / f"roster-{rows}.csv",
                      directory / f"roster-{rows}.xlsx",
                      directory / f"roster-{rows}-excel.xlsx" if xlsx_excel else None,
                      len(units), len(roster))
    write_csv(dataset.units_csv, UNIT_HEADER,
              [[u.code, u.name, u.level_word, u.parent_code] for u in units])
    write_csv(dataset.roster_csv, ROSTER_HEADER, roster)
    if xlsx:
        write_xlsx(dataset.roster_xlsx, ROSTER_HEADER, roster)
    if dataset.roster_xlsx_excel is not None:
        write_xlsx(dataset.roster_xlsx_excel, ROSTER_HEADER, roster, excel_style=True)
    return dataset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.synthetic", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output", type=Path)
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    dataset = generate(args.output, rows=args.rows, seed=args.seed, xlsx_excel=True)
    for path in (dataset.units_csv, dataset.roster_csv, dataset.roster_xlsx,
                 dataset.roster_xlsx_excel):
        print(f"{path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
