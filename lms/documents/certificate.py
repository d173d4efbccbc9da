"""The certificate as one A4 landscape page: the state-document header (Decree
30/2020/NĐ-CP: issuing body top left, quốc hiệu and tiêu ngữ top right, each with its
rule; place and date in italics under them), the learner, the course and its study
hours, the signature block of the signer in force on the completion date, and a QR
code of the public verification URL. HTML (templates/learning/certificate.html) and
PDF (fpdf2, no browser; DejaVu Serif from lms/documents/fonts, so Vietnamese needs no
font installed on the server) share the data assembled here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import segno
from flask import url_for
from fpdf import FPDF
from markupsafe import Markup

from lms.documents.logic import QUOC_HIEU, TIEU_NGU, Letterhead, letterhead
from lms.learning.models import Completion
from lms.util.formatting import date_vi, decimal_vi, percent_vi

FONTS = Path(__file__).parent / "fonts"
TITLE = "GIẤY CHỨNG NHẬN"
SUBTITLE = "HOÀN THÀNH KHÓA BỒI DƯỠNG KIẾN THỨC, KỸ NĂNG SỐ"


@dataclass(frozen=True)
class Certificate:
    completion: Completion
    head: Letterhead
    verify_url: str

    @property
    def hours_text(self) -> str:
        """"4 giờ học", "1,5 giờ học" (Vietnamese decimals)."""
        hours = float(self.completion.course.hours or 0)
        return f"{decimal_vi(hours, 0 if hours.is_integer() else 1)} giờ học"

    @property
    def score_text(self) -> str | None:
        score = self.completion.score_percent
        if score is None:
            return None
        return percent_vi(score, 0 if float(score).is_integer() else 1)

    @property
    def place_date(self) -> str:
        return self.head.place_date(self.completion.completed_on)

    def qr_svg(self) -> Markup:
        """The verification URL as an inline SVG (no image request, no inline style)."""
        svg = segno.make(self.verify_url, error="m").svg_inline(
            border=2, title=f"Mã QR kiểm tra chứng nhận {self.completion.code}",
            svgclass="qr-code", lineclass=None, omitsize=True)
        return Markup(svg.replace("<svg ", '<svg role="img" ', 1))


def certificate_for(completion: Completion) -> Certificate:
    """Issued by the province (the platform's owner), signed by its signer of the
    completion date: a later change of signer leaves this certificate as it was."""
    return Certificate(completion, letterhead(None, completion.completed_on),
                       url_for("learning.verify", code=completion.code, _external=True))


class _Page(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.add_font("serif", "", str(FONTS / "DejaVuSerif.ttf"))
        self.add_font("serif", "B", str(FONTS / "DejaVuSerif-Bold.ttf"))
        self.add_font("serif", "I", str(FONTS / "DejaVuSerif-Italic.ttf"))
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)

    def centred(self, x: float, width: float, y: float, text: str, style: str, size: float,
                rule: float | None = None) -> float:
        """One line centred in [x, x + width] at y; a rule under it of ``rule`` times the
        text's width (1 for the tiêu ngữ, 1/3 for the issuing body). Returns the next y."""
        self.set_font("serif", style, size)
        height = size * 0.45
        self.set_xy(x, y)
        self.cell(width, height, text, align="C")
        if rule:
            length = self.get_string_width(text) * rule
            middle = x + width / 2
            self.set_line_width(0.3)
            self.line(middle - length / 2, y + height + 0.6, middle + length / 2,
                      y + height + 0.6)
        return y + height + 1.2

    def wrapped(self, x: float, width: float, y: float, text: str, style: str, size: float,
                lines: int = 2) -> float:
        """Centred text over at most ``lines`` lines, shrunk until it fits."""
        while True:
            self.set_font("serif", style, size)
            parts = self.multi_cell(width, size * 0.5, text, align="C", dry_run=True,
                                    output="LINES")
            if len(parts) <= lines or size <= 9:
                break
            size -= 1
        self.set_xy(x, y)
        self.multi_cell(width, size * 0.5, text, align="C")
        return self.get_y()

    def qr(self, url: str, x: float, y: float, size: float) -> None:
        code = segno.make(url, error="m")
        rows = list(code.matrix_iter(scale=1, border=0))
        module = size / len(rows)
        self.set_fill_color(0, 0, 0)
        for r, row in enumerate(rows):
            for c, dark in enumerate(row):
                if dark:
                    self.rect(x + c * module, y + r * module, module, module, style="F")


def certificate_pdf(certificate: Certificate) -> bytes:
    """One A4 landscape page, deterministic (dated by the completion)."""
    completion, head = certificate.completion, certificate.head
    pdf = _Page()
    pdf.set_creation_date(datetime.combine(completion.completed_on, datetime.min.time()))
    pdf.set_title(f"{TITLE} {completion.code}")
    pdf.set_author(head.issuing_body)
    pdf.add_page()
    # Double frame.
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, 281, 194)
    pdf.set_line_width(0.3)
    pdf.rect(10.5, 10.5, 276, 189)

    # Ô 2: issuing body (its cơ quan chủ quản above, regular); ô 1: quốc hiệu, tiêu ngữ.
    y = 18.0
    if head.parent_body:
        y = pdf.centred(16, 115, y, head.parent_body.upper(), "", 12)
    pdf.centred(16, 115, y, head.issuing_body.upper(), "B", 12, rule=0.4)
    y = pdf.centred(135, 145, 18, QUOC_HIEU, "B", 12)
    y = pdf.centred(135, 145, y, TIEU_NGU, "B", 13, rule=1)
    pdf.centred(135, 145, y + 3, certificate.place_date, "I", 13)

    y = pdf.centred(20, 257, 52, TITLE, "B", 28)
    y = pdf.centred(20, 257, y + 2, SUBTITLE, "B", 14)
    pdf.centred(20, 257, y + 6, "Chứng nhận ông/bà", "", 14)
    y = pdf.wrapped(30, 237, y + 14, completion.user.full_name, "B", 22, lines=1)
    if completion.user.name_self_declared:
        y = pdf.centred(20, 257, y, "(họ tên do người học tự khai, chưa đối chiếu giấy tờ)",
                        "I", 11)
    y = pdf.centred(20, 257, y + 2, "Đã hoàn thành khóa học", "", 14)
    y = pdf.wrapped(30, 237, y + 1, completion.course.title, "B", 17, lines=2)
    facts = [f"Thời lượng: {certificate.hours_text}",
             f"Ngày hoàn thành: {date_vi(completion.completed_on)}"]
    if certificate.score_text:
        facts.append(f"Điểm bài kiểm tra: {certificate.score_text}")
    pdf.centred(20, 257, y + 2, "  ·  ".join(facts), "", 12)

    # Bottom left: the QR code, the code and where to check it.
    pdf.qr(certificate.verify_url, 22, 150, 32)
    pdf.set_font("serif", "", 10)
    pdf.set_xy(58, 160)
    pdf.cell(80, 5, f"Mã xác thực: {completion.code}")
    pdf.set_xy(58, 166)
    pdf.set_font("serif", "", 8)
    pdf.multi_cell(80, 4, f"Quét mã hoặc kiểm tra tại {certificate.verify_url}", align="L")

    # Bottom right: the signature block.
    y = 148.0
    for line in head.signer_lines:
        y = pdf.centred(160, 115, y, line.upper(), "B", 13)
    if head.signer_name:
        pdf.centred(160, 115, 184, head.signer_name, "B", 13)
    return bytes(pdf.output())


def pdf_name(completion: Completion) -> str:
    return f"chung-nhan-{completion.code}.pdf"
