"""Checking a business's tax code (mã số thuế) as typed on the registration form.

What was verified (November 2026), and against what:

- Circular 86/2024/TT-BTC on tax registration (in force 6 February 2025, replacing
  Circular 105/2020/TT-BTC), Article 5 "Cấu trúc mã số thuế": a tax code issued by the tax
  authority is ``N1N2N3N4N5N6N7N8N9N10`` for an enterprise, co-operative or other
  organisation with legal personality (10 digits: N1N2 the issuing province's number,
  N3..N9 a sequence 0000001-9999999, N10 the check digit), and
  ``N1N2N3N4N5N6N7N8N9N10-N11N12N13`` for a dependent unit (a branch or representative
  office: the parent's 10 digits, a hyphen, then a sequence 001-999).
- The same Article, point b of clause 1 and clause 5: from 1 July 2025 the 12-digit personal
  identification number (số định danh cá nhân, issued by the Ministry of Public Security
  under the Law on Identification, Article 12) of a household business's representative is
  used as the household business's tax code; tax codes the tax authority issued to
  individuals and household businesses are used only until 30 June 2025.
- The circular names N10 "chữ số kiểm tra" without publishing its formula. The formula the
  tax authority's software uses, and python-stdnum's ``stdnum.vn.mst`` implements (used
  here, not re-implemented): weights 31, 29, 23, 19, 17, 13, 7, 5, 3 on N1..N9, and
  N10 = 10 - (weighted sum mod 11); a remainder of 0 gives no digit, so no code has it.
  Codes published by the tax authority check out, e.g. 0100233488 and 0314409058-002.

A household business issued a 10-digit code before July 2025 may still type it: it is
accepted when its check digit is right (the old code keeps identifying the same records
until the tax authority has moved them to the personal number).
"""

from __future__ import annotations

import re

from stdnum.exceptions import ValidationError
from stdnum.vn import mst

from lms.util.i18n import mark

PERSONAL_ID = re.compile(r"^\d{12}$")
BRANCH = re.compile(r"^\d{10}-\d{3}$")
MAIN = re.compile(r"^\d{10}$")


def normalise(raw: str | None) -> str:
    """What was typed without spaces and dots (people copy "0100 233 488" or
    "01.00.233.488"); a hyphen stays, it separates a branch's 3 digits."""
    return re.sub(r"[\s.]", "", raw or "")


def check(raw: str | None, business_type: str | None) -> tuple[str, str | None]:
    """The tax code as stored and None, or what was typed and why it is refused
    (a Vietnamese message marked for translation)."""
    code = normalise(raw)
    if not code:
        return code, mark("Hãy nhập mã số thuế.")
    if business_type == "household" and PERSONAL_ID.match(code):
        return code, None
    if business_type == "household" and not (MAIN.match(code) or BRANCH.match(code)):
        return code, mark("Hộ kinh doanh dùng số định danh cá nhân (12 chữ số trên căn cước) "
                          "của chủ hộ làm mã số thuế, ví dụ 040090001234.")
    if PERSONAL_ID.match(code):
        return code, mark("Số 12 chữ số là số định danh cá nhân: chỉ hộ kinh doanh dùng làm "
                          "mã số thuế. Doanh nghiệp, hợp tác xã: mã số thuế gồm 10 chữ số.")
    if not (MAIN.match(code) or BRANCH.match(code)):
        return code, mark("Mã số thuế gồm 10 chữ số (chi nhánh: 10 chữ số, dấu gạch ngang "
                          "và 3 chữ số), ví dụ 0100233488 hoặc 0314409058-002.")
    if code[2:9] == "0000000" or code.endswith("-000"):
        return code, mark("Mã số thuế không có thật: phần số thứ tự không thể toàn số 0.")
    try:
        mst.validate(code)
    except ValidationError:
        return code, mark("Mã số thuế sai chữ số kiểm tra (chữ số thứ 10): hãy đối chiếu "
                          "lại với giấy chứng nhận đăng ký.")
    return code, None
