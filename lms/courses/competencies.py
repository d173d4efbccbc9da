"""Skill groups of the national basic digital-skills framework.

Khung kiến thức, kỹ năng số cơ bản, QĐ 757/QĐ-BKHCN (29/4/2025), Phụ lục I.
``course.yml`` names them in ``competencies:``; ``courses check`` refuses any
other name, and the curriculum test asserts the catalogue covers them all.
"""

COMPETENCIES: dict[str, str] = {
    "thiet-bi-phan-mem": "Sử dụng thiết bị và phần mềm trên thiết bị",
    "khai-thac-thong-tin": "Khai thác dữ liệu và thông tin",
    "giao-tiep-hop-tac": "Giao tiếp và hợp tác trong môi trường số",
    "sang-tao-noi-dung": "Sáng tạo nội dung số",
    "an-toan-so": "An toàn số",
    "giai-quyet-van-de": "Giải quyết vấn đề",
    "ung-dung-ai": "Ứng dụng trí tuệ nhân tạo",
}
