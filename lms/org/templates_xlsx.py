"""Downloadable XLSX templates with the Vietnamese headers and an example row."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

from lms.org.imports import COLUMNS

EXAMPLES = {
    "units": [["NA", "Tỉnh Nghệ An", "Tỉnh", ""],
              ["NA-SNV", "Sở Nội vụ", "Sở", "NA"],
              ["NA-X-NGHILOC", "Xã Nghi Lộc", "Xã", "NA"]],
    "officials": [["CB000123", "Nguyễn Thị Lan", "NA-X-NGHILOC", "Công chức", "Chủ tịch UBND xã",
                   "Có", "Không", "lan.nt@nghean.gov.vn", "0912345678", "Đang công tác", "",
                   "01/08/2015"]],
    "unit_changes": [["01/07/2025", "Thành lập", "NA-X-NGHILOC-MOI", "Xã Nghi Lộc", "Xã", "NA",
                      ""],
                     ["01/07/2025", "Sáp nhập", "NA-X-NGHIHOA", "", "", "", "NA-X-NGHILOC-MOI"],
                     ["01/07/2025", "Đổi tên", "NA-SNV", "Sở Nội vụ tỉnh Nghệ An", "", "", ""],
                     ["01/07/2025", "Giải thể", "NA-H-NGHILOC", "", "", "", ""]],
    "training": [["CB000123", "ky-nang-so-co-ban", "15/05/2025",
                  "Lớp bồi dưỡng CĐS cấp tỉnh 2025", "Sở Khoa học và Công nghệ",
                  "125/QĐ-SKHCN", "12/05/2025", "15/05/2025"]],
}
NOTES = {
    "units": [
        "Mỗi dòng một đơn vị. Mã đơn vị là duy nhất và không đổi.",
        "Cấp: Tỉnh, Sở/Ban/Ngành, Huyện/Thị xã/Thành phố/Quận, Xã/Phường/Thị trấn, Phòng, Khác.",
        "Mã đơn vị cấp trên: để trống chỉ với đơn vị gốc (tỉnh).",
    ],
    "officials": [
        "Mỗi dòng một cán bộ, công chức, viên chức. Mã cán bộ là duy nhất và không đổi.",
        "Loại: Cán bộ, Công chức, Viên chức, Người lao động.",
        "Lãnh đạo, Phụ trách CNTT: Có/Không (hoặc x, 1/0); để trống là Không.",
        "Trạng thái: Đang công tác hoặc Nghỉ việc/Chuyển công tác; để trống là Đang công tác.",
        "Ngày nghỉ: DD/MM/YYYY, chỉ khi trạng thái là nghỉ việc.",
        "Ngày tuyển dụng (không bắt buộc): cán bộ không được tính trước ngày này.",
        "Nhập lại cùng một tệp không làm thay đổi gì; cán bộ nghỉ việc không bị xóa.",
        "Thay đổi có hiệu lực từ ngày chọn khi tải lên (mặc định hôm nay); số liệu trước đó giữ "
        "nguyên.",
    ],
    "unit_changes": [
        "Mỗi dòng một thay đổi: Thành lập, Đổi tên, Chuyển (đổi cấp trên), Sáp nhập, Giải thể.",
        "Ngày hiệu lực: ngày đầu tiên thay đổi có hiệu lực (DD/MM/YYYY).",
        "Thành lập cần Tên, Cấp, Mã đơn vị cấp trên; Đổi tên cần Tên; Chuyển cần Mã đơn vị cấp "
        "trên; Sáp nhập cần Sáp nhập vào (mỗi đơn vị bị sáp nhập một dòng).",
        "Sáp nhập: cán bộ đang công tác và đơn vị cấp dưới chuyển sang đơn vị tiếp nhận.",
        "Giải thể chỉ khi đơn vị không còn cán bộ và đơn vị cấp dưới; nếu còn, hãy sáp nhập.",
        "Mã đơn vị không bao giờ được dùng lại.",
    ],
    "training": [
        "Mỗi dòng một lần hoàn thành lớp tập huấn trực tiếp.",
        "Khóa học: mã khóa học (ví dụ ky-nang-so-co-ban), xem trong danh mục khóa học.",
        "Ngày hoàn thành: DD/MM/YYYY.",
        "Đơn vị tổ chức, Số quyết định mở lớp (hoặc số danh sách lớp), Lớp từ ngày, Lớp đến "
        "ngày: thông tin lớp làm căn cứ (không bắt buộc nhưng nên có). Các dòng cùng số quyết "
        "định và đơn vị tổ chức thuộc cùng một lớp; bản quét quyết định hoặc danh sách lớp "
        "được đính kèm trên trang của lớp.",
        "Hồ sơ nhập vào là hồ sơ tự khai; tỉnh xác minh hoặc từ chối trong mục Duyệt hồ sơ. "
        "Hồ sơ bị từ chối không được tính là đã bồi dưỡng.",
    ],
}


def template_workbook(kind: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Dữ liệu"
    columns = COLUMNS[kind]
    sheet.append([c.label for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="FDE9D9")
    for row in EXAMPLES[kind]:
        sheet.append(row)
    for index, column in enumerate(columns, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(14, len(column.label) + 6)
        # Codes, phones and dates typed as text stay exactly as typed.
        for cell in sheet[letter][1:]:
            cell.number_format = "@"
    sheet.freeze_panes = "A2"
    guide = workbook.create_sheet("Hướng dẫn")
    guide.column_dimensions["A"].width = 110
    for line in NOTES[kind]:
        guide.append([line])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
