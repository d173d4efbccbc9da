"""The public catalogue: audiences and search without diacritics."""

from __future__ import annotations

from lms.courses.sync import sync_courses
from lms.extensions import db
from tests.builders import write_course


def titles(client, query: str) -> str:
    return client.get(f"/courses/?{query}").get_data(as_text=True)


def setup_catalogue(courses_dir):
    write_course(courses_dir, "ky-nang-so-co-ban", title="Kỹ năng số cơ bản",
                 audiences=["official"])
    write_course(courses_dir, "dich-vu-cong", title="Sử dụng dịch vụ công trực tuyến",
                 audiences=["citizen", "business"], tags=["dich-vu-cong"])
    write_course(courses_dir, "thuong-mai-dien-tu", title="Thương mại điện tử",
                 audiences=["business"], lessons=["Mở gian hàng Đặc sản"], tags=["tmdt"])
    sync_courses(courses_dir)
    db.session.commit()


def test_search_without_diacritics_finds_vietnamese_titles(client, courses_dir):
    setup_catalogue(courses_dir)
    page = titles(client, "q=ky+nang+so")
    assert "Kỹ năng số cơ bản" in page
    assert "Thương mại điện tử" not in page
    assert "Sử dụng dịch vụ công" in titles(client, "q=DICH+VU+CONG")
    # Lesson titles are searchable too, and đ folds to d.
    assert "Thương mại điện tử" in titles(client, "q=dac+san")


def test_search_with_wildcards_is_literal(client, courses_dir):
    setup_catalogue(courses_dir)
    assert "Không có khóa học phù hợp" in titles(client, "q=%25")
    assert "Không có khóa học phù hợp" in titles(client, "q=_")


def test_audience_filter(client, courses_dir):
    setup_catalogue(courses_dir)
    page = titles(client, "audience=business")
    assert "Thương mại điện tử" in page and "Sử dụng dịch vụ công" in page
    assert "Kỹ năng số cơ bản" not in page
    page = titles(client, "audience=official")
    assert "Kỹ năng số cơ bản" in page and "Thương mại điện tử" not in page


def test_course_page_lists_lessons_and_quiz(client, course):
    page = client.get("/courses/ky-nang-so-co-ban").get_data(as_text=True)
    assert "Bài mở đầu" in page and "Bài thực hành" in page
    assert "Bài kiểm tra" in page
    assert "Bắt đầu học" in page
    assert client.get("/courses/khong-co").status_code == 404
