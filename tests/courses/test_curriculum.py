"""The curriculum in courses/: its shape, coverage and required-course rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms.config import PROJECT_ROOT
from lms.courses.competencies import COMPETENCIES
from lms.courses.loader import check_courses

CURRICULUM = PROJECT_ROOT / "courses"

REQUIRED = {
    "ky-nang-so-co-ban": [{"audience": "official"}],
    "an-toan-thong-tin": [{"audience": "official"}],
    "van-ban-dien-tu-chu-ky-so": [{"audience": "official"}],
    "lanh-dao-chuyen-doi-so": [{"audience": "official", "leaders": True}],
    "chuyen-sau-cntt": [{"audience": "official", "it_officers": True}],
}
SELF_LEARNING = {
    "dich-vu-cong-truc-tuyen": {"citizen"},
    "thanh-toan-so-an-toan": {"citizen"},
    "thuong-mai-dien-tu": {"business"},
    "lam-quen-dien-thoai-thong-minh": {"citizen"},
}


@pytest.fixture(scope="module")
def catalogue():
    result = check_courses(CURRICULUM)
    assert result.ok, "\n".join(str(p) for p in result.problems)
    return {course.slug: course for course in result.courses}


def test_the_catalogue_has_every_planned_course(catalogue):
    assert set(REQUIRED) | set(SELF_LEARNING) <= set(catalogue)
    assert len(catalogue) >= 9


@pytest.mark.parametrize("slug", sorted(set(REQUIRED) | set(SELF_LEARNING)))
def test_each_course_has_4_to_8_real_lessons_and_a_quiz_with_explanations(catalogue, slug):
    course = catalogue[slug]
    assert 4 <= len(course.lessons) <= 8
    for lesson in course.lessons:
        words = len(lesson.markdown.split())
        assert words >= 500, f"{lesson.file} is short ({words} words)"
    quiz = course.quiz
    assert quiz is not None and len(quiz["questions"]) >= 10
    kinds = {q["type"] for q in quiz["questions"]}
    assert {"single", "multiple", "true_false", "short"} <= kinds
    assert all(len(q["explanation"]) >= 40 for q in quiz["questions"])


def test_required_course_rules_are_as_planned(catalogue):
    for slug, rules in REQUIRED.items():
        assert catalogue[slug].meta["required_for"] == rules, slug
        assert catalogue[slug].meta["audiences"] == ["official"]
    assert catalogue["an-toan-thong-tin"].meta["valid_days"] == 365  # yearly refresher
    for slug, audiences in SELF_LEARNING.items():
        assert not catalogue[slug].meta["required_for"]
        assert audiences <= set(catalogue[slug].meta["audiences"])


def test_together_the_courses_cover_every_skill_group_of_the_framework(catalogue):
    covered = {c for course in catalogue.values() for c in course.meta["competencies"]}
    assert covered == set(COMPETENCIES)


def test_the_ecommerce_course_is_tagged_for_the_resolutions_figure(catalogue):
    assert "thuong-mai-dien-tu" in catalogue["thuong-mai-dien-tu"].meta["tags"]


def test_no_course_describes_district_level_as_current(catalogue):
    # Since 1/7/2025 local government has two tiers; "cấp huyện" may appear only
    # as history ("trước đây", "đã bỏ", "không còn").
    for course in catalogue.values():
        for lesson in course.lessons:
            for line in lesson.markdown.splitlines():
                if "cấp huyện" in line.lower():
                    assert any(word in line.lower() for word in (
                        "trước", "bỏ", "không còn", "kết thúc", "chấm dứt", "hai cấp", "cũ",
                        "sáp nhập", "giải thể", "ảo giác")), f"{lesson.file}: {line.strip()[:80]}"


def test_courses_check_passes_on_the_curriculum(runner):
    result = runner.invoke(args=["courses", "check", str(Path(CURRICULUM))])
    assert result.exit_code == 0, result.output


# --- issue 15: sources, review dates, pools, framework coverage by required courses ---

def _required(course) -> bool:
    return bool(course.meta["required_for"])


def test_every_course_was_reviewed_within_twelve_months_and_names_its_sources(catalogue):
    from datetime import date

    from lms.courses.currency import REVIEW_MONTHS, subtract_months

    oldest = subtract_months(date.today(), REVIEW_MONTHS)
    for slug, course in catalogue.items():
        reviewed = course.meta["reviewed_on"]
        assert reviewed is not None, f"{slug}: no reviewed_on"
        assert oldest <= reviewed <= date.today(), f"{slug}: reviewed_on {reviewed}"
        assert course.meta["sources"], f"{slug}: no sources"


def test_every_lesson_ends_with_its_sources_and_cites_nothing_superseded(catalogue):
    # The currency rules of `courses check` (lms/courses/currency.py), on the real
    # curriculum: a '## Nguồn' section closing every lesson, with documents listed,
    # and no document of courses/superseded.yml cited as current.
    result = check_courses(CURRICULUM)
    assert [str(p) for p in result.currency] == []
    for course in catalogue.values():
        for lesson in course.lessons:
            assert "\n## Nguồn\n" in lesson.markdown, lesson.file


def test_the_superseded_list_is_read_and_applies(catalogue):
    from datetime import date

    from lms.courses.currency import load_superseded

    problems: list = []
    entries = load_superseded(CURRICULUM, problems)
    assert problems == []
    olds = {entry.old for entry in entries if entry.applies_on(date.today())}
    assert {"29/2018/QH14", "13/2023/NĐ-CP"} <= olds


def test_each_required_course_draws_from_a_pool_twice_its_draw(catalogue):
    # So that a retake, or next year's refresher, asks mostly other questions.
    from lms.learning.pools import questions_per_attempt

    for slug, course in catalogue.items():
        if not _required(course):
            continue
        pool = len(course.quiz["questions"])
        draw = questions_per_attempt(course.quiz)
        assert pool >= 2 * draw, f"{slug}: a pool of {pool} for {draw} per attempt"


def test_every_framework_group_is_taught_by_a_course_required_of_every_official(catalogue):
    # Not only by the business or citizens' courses, and not only to leaders or IT staff.
    everyone = [course for course in catalogue.values()
                if {"audience": "official"} in course.meta["required_for"]]
    covered = {c for course in everyone for c in course.meta["competencies"]}
    assert set(COMPETENCIES) - covered == set()


# Pictures (issue 15, point 4): the citizens' courses and the e-documents course show
# each lesson's screens and steps as drawn SVG figures, with alt text and a caption.
ILLUSTRATED = ("lam-quen-dien-thoai-thong-minh", "dich-vu-cong-truc-tuyen",
               "thanh-toan-so-an-toan", "van-ban-dien-tu-chu-ky-so")


@pytest.mark.parametrize("slug", ILLUSTRATED)
def test_every_lesson_has_a_drawn_figure_with_alt_text_and_a_caption(catalogue, slug):
    import re

    from lms.courses.pictures import svg_problem
    from lms.courses.rendering import render_markdown

    figure = re.compile(r"^!\[([^\]]*)\]\(([^)\s]+)\)\n\*(Hình \d+\.[^*\n]+)\*$", re.M)
    for lesson in catalogue[slug].lessons:
        figures = figure.findall(lesson.markdown)
        assert figures, f"{lesson.file}: no figure ('![alt](x.svg)' then '*Hình N. …*')"
        for alt, src, caption in figures:
            assert len(alt.split()) >= 8, f"{lesson.file}: alt text of {src} says too little"
            assert len(caption.split()) >= 4, f"{lesson.file}: caption of {src}"
            path = lesson.file.parent / src
            assert path.suffix == ".svg" and path.is_file(), f"{lesson.file}: {src}"
            assert svg_problem(path) is None, f"{path}: {svg_problem(path)}"
        numbers = [int(caption.split()[1].rstrip(".")) for _, _, caption in figures]
        assert numbers == list(range(1, len(figures) + 1)), f"{lesson.file}: Hình numbers"
        # The sources stay last: no figure after "## Nguồn".
        assert lesson.markdown.rfind("![") < lesson.markdown.find("\n## Nguồn")
        html = render_markdown(lesson.markdown, lesson.file.parent)
        assert html.count("<figcaption>") == len(figures)
        assert html.count('loading="lazy"') >= len(figures) and 'width="360"' in html
