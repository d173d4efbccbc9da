"""Lesson HTML is sanitised and rendered once, at sync time."""

from __future__ import annotations

import pytest

from lms.courses.rendering import render_markdown
from lms.courses.sync import sync_courses
from tests.builders import write_course, write_file

XSS = [
    ("<script>alert(1)</script>", "<script"),
    ('<img src="x.png" onerror="alert(1)">', "onerror"),
    ("[bấm](javascript:alert(1))", "javascript:"),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', "javascript:"),
    ('<iframe src="https://evil.example"></iframe>', "<iframe"),
    ('<div style="background:url(javascript:alert(1))">x</div>', "style="),
    ('<svg onload="alert(1)"></svg>', "onload"),
    ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "data:"),
]


@pytest.mark.parametrize(("payload", "forbidden"), XSS)
def test_no_script_survives(payload, forbidden):
    html = render_markdown(f"# Bài\n\nVăn bản {payload} tiếp.")
    assert forbidden not in html.lower()
    assert "Văn bản" in html


def test_supported_markdown_features_render():
    html = render_markdown(
        "# Tiêu đề\n\n"
        "| Cột | Giá trị |\n|---|---|\n| a | 1 |\n\n"
        "Ghi chú[^1].\n\n"
        '!!! warning "Cảnh báo"\n    Không chia sẻ mã OTP.\n\n'
        "```bash\necho xin-chao\n```\n\n"
        "[^1]: Chú thích.\n"
    )
    assert "<table>" in html and "<td>a</td>" in html
    assert 'class="footnote-ref"' in html and "Chú thích." in html
    assert '<div class="admonition warning">' in html
    assert '<p class="admonition-title">Cảnh báo</p>' in html
    assert '<code class="language-bash">echo xin-chao' in html
    assert "<h1>" not in html  # the title is shown by the page, not twice


def test_course_images_are_served_and_external_ones_dropped(client, courses_dir):
    folder = write_course(courses_dir)
    (folder / "images").mkdir()
    (folder / "images" / "so-do.png").write_bytes(b"\x89PNG\r\n\x1a\nfake")
    write_file(folder / "01-bai-mo-dau.md", "# Bài mở đầu\n\n![Sơ đồ](images/so-do.png)\n")
    sync_courses(courses_dir)
    page = client.get("/courses/ky-nang-so-co-ban/lessons/bai-mo-dau").get_data(as_text=True)
    assert ('<img alt="Sơ đồ" decoding="async" loading="lazy" src="../files/images/so-do.png">'
            in page)
    with client.get("/courses/ky-nang-so-co-ban/files/images/so-do.png") as image:
        assert image.status_code == 200 and image.data.startswith(b"\x89PNG")
    assert client.get("/courses/ky-nang-so-co-ban/files/course.yml").status_code == 404
    assert client.get("/courses/ky-nang-so-co-ban/files/../../secret.png").status_code == 404


def test_lesson_pages_serve_the_stored_html_not_the_file(client, courses_dir):
    folder = write_course(courses_dir)
    sync_courses(courses_dir)
    write_file(folder / "01-bai-mo-dau.md", "# Bài mở đầu\n\nĐã sửa nhưng chưa đồng bộ.\n")
    page = client.get("/courses/ky-nang-so-co-ban/lessons/bai-mo-dau").get_data(as_text=True)
    assert "Nội dung bài <strong>Bài mở đầu</strong>" in page
    assert "chưa đồng bộ" not in page


SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 240" '
       'font-family="sans-serif"><rect width="360" height="240" fill="#fff"/></svg>')


def test_a_picture_with_a_hinh_caption_becomes_a_sized_lazy_figure(tmp_path):
    (tmp_path / "man-hinh.svg").write_text(SVG)
    html = render_markdown(
        "# Bài\n\nTrước hình.\n\n"
        "![Màn hình chính có ba nút](man-hinh.svg)\n*Hình 1. Màn hình **chính**.*\n\n"
        "![Không có chú thích](man-hinh.svg)\n\n"
        "Chữ *Hình* trong câu ![nhỏ](man-hinh.svg) không thành hình.\n",
        tmp_path,
    )
    assert ('<figure class="figure"><img alt="Màn hình chính có ba nút" decoding="async" '
            'height="240" loading="lazy" src="../files/man-hinh.svg" width="360">'
            "<figcaption>Hình 1. Màn hình <strong>chính</strong>.</figcaption></figure>"
            in html)
    assert html.count("<figure") == 1 and html.count("<figcaption>") == 1
    assert html.count('loading="lazy"') == 3 and html.count('width="360"') == 3
    # Without the course folder (quiz text, previews) images are lazy but unsized.
    assert 'width="360"' not in render_markdown("# B\n\n![a](man-hinh.svg)\n")


def test_svg_from_the_course_folder_is_an_image_that_cannot_act_as_a_page(client,
                                                                          courses_dir):
    folder = write_course(courses_dir)
    (folder / "so-do.svg").write_text(SVG)
    write_file(folder / "01-bai-mo-dau.md",
               "# Bài mở đầu\n\n![Sơ đồ](so-do.svg)\n*Hình 1. Sơ đồ.*\n")
    sync_courses(courses_dir)
    page = client.get("/courses/ky-nang-so-co-ban/lessons/bai-mo-dau").get_data(as_text=True)
    assert 'height="240" loading="lazy" src="../files/so-do.svg" width="360">' in page
    with client.get("/courses/ky-nang-so-co-ban/files/so-do.svg") as image:
        assert image.status_code == 200 and image.mimetype == "image/svg+xml"
        [policy] = image.headers.getlist("Content-Security-Policy")  # its own, alone
        assert "default-src 'none'" in policy and "sandbox" in policy
        assert "script-src" not in policy
        assert image.headers["X-Content-Type-Options"] == "nosniff"
