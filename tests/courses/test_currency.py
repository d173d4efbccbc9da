"""Is a course current? reviewed_on and sources in course.yml, a '## Nguồn' section per
lesson, and no superseded document (courses/superseded.yml) cited as current."""

from __future__ import annotations

from datetime import date

from lms.courses.currency import subtract_months
from lms.courses.loader import check_courses
from lms.courses.sync import sync_courses
from lms.extensions import db
from tests.builders import write_course, write_file

TODAY = date(2026, 11, 30)
SOURCES = [{"number": "117/2025/QH15", "title": "Luật Bảo vệ bí mật nhà nước",
            "issued": date(2025, 12, 10), "effective": date(2026, 3, 1),
            "url": "https://vanban.chinhphu.vn/"},
           {"number": "91/2025/QH15", "title": "Luật Bảo vệ dữ liệu cá nhân",
            "issued": date(2025, 6, 26)}]
LESSON = """# {title}

Nội dung.

## Nguồn

- Luật Bảo vệ bí mật nhà nước số 117/2025/QH15 ngày 10/12/2025, hiệu lực từ 01/3/2026.
"""
SUPERSEDED = """
- old: "29/2018/QH14"
  old_title: Luật Bảo vệ bí mật nhà nước 2018
  new: "117/2025/QH15"
  new_title: Luật Bảo vệ bí mật nhà nước 2025
  since: 2026-03-01
- old: "13/2023/NĐ-CP"
  old_title: Nghị định 13/2023/NĐ-CP
  new: "356/2025/NĐ-CP"
  new_title: Nghị định 356/2025/NĐ-CP
  since: 2026-01-01
"""


def current_course(root, **meta):
    folder = write_course(root, **{"reviewed_on": date(2026, 11, 1), "sources": SOURCES,
                                   **meta})
    for lesson in folder.glob("*.md"):
        lesson.write_text(LESSON.format(title=lesson.stem), "utf-8")
    return folder


def currency(root, today=TODAY):
    result = check_courses(root, today=today)
    assert result.ok, result.problems
    return [f"{p.file.name}:{p.line}: {p.message}" for p in result.currency]


def test_a_reviewed_course_with_sources_and_nguon_sections_is_current(tmp_path):
    current_course(tmp_path)
    write_file(tmp_path / "superseded.yml", SUPERSEDED)
    result = check_courses(tmp_path, today=TODAY)
    assert result.ok and result.currency == []
    [course] = result.courses  # superseded.yml is not a course
    assert course.meta["reviewed_on"] == date(2026, 11, 1)
    assert course.meta["sources"][0] == {**SOURCES[0]}
    assert course.meta["sources"][1]["effective"] is None


def test_missing_review_date_sources_and_nguon_are_currency_warnings(tmp_path):
    write_course(tmp_path, lessons=["Bài một"])
    assert currency(tmp_path) == [
        "course.yml:1: no 'reviewed_on': add the date the content was last checked against "
        "the law (YYYY-MM-DD)",
        "course.yml:1: no 'sources': list the legal documents (or official guidance) the "
        "course rests on",
        "01-bai-mot.md:7: no '## Nguồn' section: end the lesson with the documents it "
        "relies on (number, date, effective date)",
    ]


def test_a_review_older_than_twelve_months_is_a_warning(tmp_path):
    current_course(tmp_path, reviewed_on=date(2025, 11, 30))
    assert currency(tmp_path) == []  # exactly twelve months: still current
    current_course(tmp_path, reviewed_on=date(2025, 11, 29))
    [warning] = currency(tmp_path)
    assert warning.startswith("course.yml:")
    assert "reviewed_on 2025-11-29 is more than 12 months ago" in warning
    current_course(tmp_path, reviewed_on=date(2026, 12, 1))
    assert "is in the future" in currency(tmp_path)[0]
    assert subtract_months(date(2024, 2, 29), 12) == date(2023, 2, 28)


def test_a_nguon_section_must_list_documents_and_come_last(tmp_path):
    folder = current_course(tmp_path, lessons=["Bài một"])
    write_file(folder / "01-bai-mot.md", """
        # Bài một

        ## Nguồn

        Không có gì.

        ## Tóm tắt

        - Ý chính.
        """)
    assert currency(tmp_path) == [
        "01-bai-mot.md:7: the '## Nguồn' section must be the lesson's last section",
        "01-bai-mot.md:3: the '## Nguồn' section lists no document (a bullet list: "
        "'- Luật ... số ... ngày ..., hiệu lực từ ...')",
    ]


def test_a_superseded_document_cited_as_current_is_a_warning(tmp_path):
    folder = current_course(tmp_path, lessons=["Bài một"])
    write_file(tmp_path / "superseded.yml", SUPERSEDED)
    write_file(folder / "01-bai-mot.md", """
        # Bài một

        Theo Luật Bảo vệ bí mật nhà nước số 29/2018/QH14, chỉ soạn thảo trên máy tính riêng.

        Luật số 29/2018/QH14 đã được thay thế từ 01/3/2026.

        Trước đây, Nghị định 13/2023/NĐ-CP quy định việc này.

        Nghị định 113/2023/NĐ-CP là một văn bản khác.

        ## Nguồn

        - Nghị định 13/2023/ND-CP về bảo vệ dữ liệu cá nhân.
        - Luật số 117/2025/QH15, hiệu lực từ 01/3/2026 (thay thế Luật số 29/2018/QH14).
        """)
    found = currency(tmp_path)
    assert [w.split(": ", 1)[0] for w in found] == ["01-bai-mot.md:3", "01-bai-mot.md:13"]
    assert found[0].endswith(
        "29/2018/QH14 (Luật Bảo vệ bí mật nhà nước 2018) is cited as current (to mention it "
        "as history, say so on the same line: 'trước đây', 'được thay thế', 'hết hiệu "
        "lực'); it was replaced by 117/2025/QH15 (Luật Bảo vệ bí mật nhà nước 2025) from "
        "2026-03-01")
    assert "13/2023/NĐ-CP (Nghị định 13/2023/NĐ-CP) is listed in '## Nguồn'" in found[1]
    # Before the new document applied, the old one was the law in force.
    assert not [w for w in currency(tmp_path, today=date(2025, 12, 31)) if "replaced" in w]


def test_a_superseded_source_in_course_yml_is_a_warning(tmp_path):
    write_file(tmp_path / "superseded.yml", SUPERSEDED)
    current_course(tmp_path, sources=[{"number": "29/2018/QH14", "title": "Luật cũ",
                                       "issued": date(2018, 11, 15)}])
    [warning] = currency(tmp_path)
    assert warning.startswith("course.yml:")
    assert "source 29/2018/QH14 (Luật Bảo vệ bí mật nhà nước 2018) was replaced by " \
           "117/2025/QH15" in warning


def test_malformed_review_metadata_is_a_problem_with_its_line(tmp_path):
    folder = write_course(tmp_path)
    write_file(folder / "course.yml", """
        title: Khóa học
        summary: Tóm tắt
        audiences: [citizen]
        reviewed_on: 30/11/2026
        sources:
          - number: 117/2025/QH15
            issued: 2025-12-10
            effective: 2025-01-01
            note: x
          - "Luật An ninh mạng"
          - {number: "91/2025/QH15", title: Luật, issued: 2025-06-26, url: "ftp://x"}
        """)
    problems = [str(p).split("course.yml:")[1] for p in check_courses(tmp_path).problems]
    assert problems == [
        "4: 'reviewed_on' must be a date written YYYY-MM-DD, e.g. 2026-11-30",
        "9: unknown source key 'note' (use effective, issued, number, title, url)",
        "6: a source needs 'title' as text (quote a number such as \"117/2025/QH15\")",
        "10: a source is a mapping such as {number: \"117/2025/QH15\", title: Luật ..., "
        "issued: 2025-06-25}",
        "11: 'url' must be a web address starting with https://",
    ]


def test_a_malformed_superseded_file_is_a_problem(tmp_path):
    current_course(tmp_path)
    write_file(tmp_path / "superseded.yml", """
        - old: "29/2018/QH14"
          new: "117/2025/QH15"
          since: "1/3/2026"
        """)
    problems = [str(p).split("superseded.yml:")[1] for p in check_courses(tmp_path).problems]
    assert problems == [
        "1: 'old_title' is required and must be text (quote numbers)",
        "1: 'new_title' is required and must be text (quote numbers)",
        "3: 'since' must be the date written YYYY-MM-DD from which the new document applies",
    ]


def test_check_prints_currency_warnings_and_strict_fails_on_them(runner, tmp_path):
    tmp_path = tmp_path / "khac"  # (tmp_path/courses is the app's own folder)
    write_course(tmp_path, lessons=["Bài một"])
    plain = runner.invoke(args=["courses", "check", str(tmp_path)])
    assert plain.exit_code == 0, plain.output
    assert f"{tmp_path / 'ky-nang-so-co-ban' / 'course.yml'}:1: currency: no 'reviewed_on'" \
        in plain.output
    assert "3 currency warning(s)" in plain.output
    strict = runner.invoke(args=["courses", "check", "--strict", str(tmp_path)])
    assert strict.exit_code == 1
    assert "Warnings found (--strict)." in strict.output
    current_course(tmp_path, reviewed_on=date.today())
    clean = runner.invoke(args=["courses", "check", "--strict", str(tmp_path)])
    assert clean.exit_code == 0, clean.output
    assert "currency" not in clean.output


def test_the_course_page_shows_the_review_date_and_legal_bases(app, client, courses_dir):
    current_course(courses_dir)
    sync_courses(courses_dir)
    db.session.commit()
    page = client.get("/courses/ky-nang-so-co-ban").get_data(as_text=True)
    assert "Cập nhật nội dung: 01/11/2026" in page
    assert "Căn cứ pháp lý" in page
    assert '<a href="https://vanban.chinhphu.vn/" rel="noopener">Luật Bảo vệ bí mật nhà nước</a>' \
        in page
    assert "(số 117/2025/QH15), ngày 10/12/2025, hiệu lực từ 01/03/2026" in page
    assert "(số 91/2025/QH15), ngày 26/06/2025\n" in page  # no effective date: none shown


def test_a_course_without_review_metadata_shows_neither(app, client, courses_dir):
    write_course(courses_dir)
    sync_courses(courses_dir)
    db.session.commit()
    page = client.get("/courses/ky-nang-so-co-ban").get_data(as_text=True)
    assert "Cập nhật nội dung" not in page and "Căn cứ pháp lý" not in page
