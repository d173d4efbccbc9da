"""An untrained list longer than one XLSX sheet holds (1,048,576 rows, header included)
continues on "Chưa bồi dưỡng (2)", "(3)"… with the header repeated. The limit is lowered
here so a handful of officials shows the split."""

from __future__ import annotations

import io
import time
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from lms.org.logic import unit_by_code
from lms.reports import exports
from lms.reports.indicator import untrained_officials
from tests.reports.conftest import D, complete_basics, roster
from tests.reports.test_frozen import export


def officials(count: int) -> None:
    units = ["X1", "SNV", "X2", "SNV-TC"]
    roster(*[(f"U{n:02d}", units[n % len(units)], False, False, "", "")
             for n in range(count)])
    complete_basics("U00")  # one trained official: not on the list


def expected_rows() -> list[list[Any]]:
    """The untrained list in its export order (one row per missing course), as openpyxl
    reads the cells back: due dates as datetimes, overdue as Có/Không."""
    rows = []
    for values in exports.untrained_rows(untrained_officials(unit_by_code("NA"), D)):
        due, overdue = values[6], values[7]
        rows.append([value if value not in (None, "") else None for value in values[:6]]
                    + [datetime.combine(due, datetime.min.time()) if due else None,
                       None if overdue is None else ("Có" if overdue else "Không")])
    return rows


def untrained_sheets(data: bytes):
    book = load_workbook(io.BytesIO(data), read_only=True)
    return book.sheetnames, {name: [list(row) for row in book[name].iter_rows(values_only=True)]
                             for name in book.sheetnames if name != "Báo cáo"}


@pytest.mark.parametrize(("count", "sheets"), [
    # Each official misses two courses (two rows): 5 officials, 10 rows = 4 + 4 + 2.
    (6, ["Chưa bồi dưỡng", "Chưa bồi dưỡng (2)", "Chưa bồi dưỡng (3)"]),
    (5, ["Chưa bồi dưỡng", "Chưa bồi dưỡng (2)"]),  # exactly two full sheets, no empty third
    (1, ["Chưa bồi dưỡng"]),  # nobody untrained: the sheet is still there, header only
])
def test_the_untrained_list_continues_on_further_sheets(courses, monkeypatch, count, sheets):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 5)  # header + 4 rows a sheet
    officials(count)
    wanted = expected_rows()
    assert len(wanted) == 2 * (count - 1)
    names, contents = untrained_sheets(export("xlsx"))
    assert names == ["Báo cáo", *sheets]
    rows = []
    for name in sheets:
        header, *body = contents[name]
        assert header == exports.UNTRAINED_HEADERS  # repeated on every sheet
        assert 0 < len(body) <= 4 or (not wanted and not body)
        rows.extend(body)
    assert rows == wanted  # every missing course once, in the list's order
    assert len({(row[0], row[5]) for row in rows}) == len(rows)


def test_the_split_workbook_is_deterministic_and_frozen_panes_repeat(courses, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 5)
    officials(6)  # 5 untrained, 10 rows: 4 + 4 + 2
    first = export("xlsx")
    time.sleep(2.1)  # zip entries carry a time to 2 s
    assert export("xlsx") == first
    book = load_workbook(io.BytesIO(first))
    assert book.sheetnames[1:] == ["Chưa bồi dưỡng", "Chưa bồi dưỡng (2)",
                                   "Chưa bồi dưỡng (3)"]
    for name in book.sheetnames[1:]:
        assert book[name].freeze_panes == "A2"
        assert book[name]["A1"].font.bold


def test_the_limit_is_excels():
    assert exports.XLSX_MAX_ROWS == 1_048_576
