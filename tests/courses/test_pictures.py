"""SVG pictures in course folders: only shapes and text, small (lms/courses/pictures.py)."""

from __future__ import annotations

import pytest

from lms.courses.loader import check_courses
from lms.courses.pictures import svg_problem
from tests.builders import write_course, write_file

OPEN = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" ' \
       'viewBox="0 0 360 200">'
GOOD = (OPEN + '<defs><marker id="a"><path d="M0 0L10 5z"/></marker></defs>'
        '<rect width="360" height="200" fill="#fff"/><line x1="0" y1="0" x2="9" y2="9" '
        'marker-end="url(#a)"/><text x="10" y="20">Bước 1</text><use href="#a"/></svg>')

BAD = [
    (OPEN + "<script>alert(1)</script></svg>", "<script>"),
    (OPEN + '<rect onclick="alert(1)"/></svg>', "event attributes"),
    (OPEN + "<foreignObject><div>x</div></foreignObject></svg>", "<foreignobject>"),
    (OPEN + '<image href="https://example.com/a.png"/></svg>', "<image>"),
    (OPEN + '<a xlink:href="https://example.com"><text>x</text></a></svg>', "must not link"),
    (OPEN + '<use href="other.svg#icon"/></svg>', "must not link"),
    (OPEN + "<style>@import url(https://example.com/f.css);</style></svg>", "<style>"),
    (OPEN + '<rect style="fill:url(https://example.com/p.svg)"/></svg>', "style"),
    ('<!DOCTYPE svg [<!ENTITY x "y">]>' + OPEN + "</svg>", "DOCTYPE"),
    ('<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "viewBox"),
    (OPEN + "<rect>", "well-formed"),
    (OPEN + "<text>" + "x" * 13000 + "</text></svg>", "too large"),
]


def test_a_drawn_figure_passes(tmp_path):
    (tmp_path / "hinh.svg").write_text(GOOD)
    assert svg_problem(tmp_path / "hinh.svg") is None


@pytest.mark.parametrize(("svg", "reason"), BAD)
def test_unsafe_or_heavy_svg_is_refused_with_its_reason(tmp_path, svg, reason):
    (tmp_path / "hinh.svg").write_text(svg)
    assert reason in svg_problem(tmp_path / "hinh.svg")


def test_courses_check_names_the_lesson_line_of_an_unsafe_svg(tmp_path):
    folder = write_course(tmp_path)
    (folder / "so-do.svg").write_text(BAD[0][0])
    write_file(folder / "01-bai-mo-dau.md", "# Bài mở đầu\n\nChữ.\n\n![Sơ đồ](so-do.svg)\n")
    problems = [str(p) for p in check_courses(tmp_path).problems]
    assert problems == [f"{folder / '01-bai-mo-dau.md'}:5: image 'so-do.svg' must not "
                        "contain <script> (only shapes and text)"]
