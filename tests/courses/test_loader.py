"""`courses check`: every problem is reported as file:line: problem."""

from __future__ import annotations

from lms.courses.loader import check_courses
from tests.builders import write_course, write_file


def problems_of(root):
    return [str(p) for p in check_courses(root).problems]


def test_good_course_loads_with_lessons_in_name_order_and_quiz(tmp_path):
    write_course(tmp_path, lessons=["Thiết bị", "Dịch vụ công", "An toàn"])
    result = check_courses(tmp_path)
    assert result.ok, result.problems
    [course] = result.courses
    assert [lesson.title for lesson in course.lessons] == ["Thiết bị", "Dịch vụ công", "An toàn"]
    assert course.meta["audiences"] == ["official", "citizen"]
    assert len(course.quiz["questions"]) == 5


def test_unknown_course_key_names_its_line(tmp_path):
    folder = write_course(tmp_path)
    write_file(folder / "course.yml", """
        title: Khóa học
        summary: Tóm tắt
        audiences: [official]
        requried_for:
          - {audience: official}
        """)
    assert problems_of(tmp_path) == [
        f"{folder / 'course.yml'}:4: unknown key 'requried_for' (expected one of: audiences, "
        "competencies, due_days, hours, required_for, reviewed_on, sources, summary, tags, title, "
        "valid_days)"
    ]


def test_bad_audience_level_and_competency_are_each_reported(tmp_path):
    folder = write_course(tmp_path)
    write_file(folder / "course.yml", """
        title: Khóa học
        summary: Tóm tắt
        audiences: [official, farmer]
        required_for:
          - {audience: official, levels: [county]}
        competencies: [an-toan-so, nau-an]
        """)
    problems = problems_of(tmp_path)
    path = folder / "course.yml"
    assert f"{path}:3: unknown audience 'farmer' (use official, citizen, business)" in problems
    assert any(p.startswith(f"{path}:5: unknown level 'county'") for p in problems)
    assert any(p.startswith(f"{path}:6: unknown competency 'nau-an'") for p in problems)


def test_yaml_syntax_error_gives_the_line(tmp_path):
    folder = write_course(tmp_path)
    write_file(folder / "course.yml", """
        title: Khóa học
        summary: [unclosed
        audiences: [official]
        """)
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{folder / 'course.yml'}:")
    assert "YAML syntax error" in problem


def test_quiz_answer_out_of_range_points_at_the_answer_line(tmp_path):
    folder = write_course(tmp_path)
    write_file(folder / "quiz.yml", """
        pass_percent: 80
        questions:
          - id: mot
            type: single
            text: Câu hỏi?
            choices: [A, B]
            answer: 2
            explanation: Giải thích.
        """)
    assert problems_of(tmp_path) == [
        f"{folder / 'quiz.yml'}:7: 'answer' must be the index of the right choice (0 to 1)"
    ]


def test_quiz_duplicate_ids_missing_explanation_and_yes_choice(tmp_path):
    folder = write_course(tmp_path)
    write_file(folder / "quiz.yml", """
        questions:
          - id: mot
            type: true_false
            text: Đúng không?
            answer: true
            explanation: Đúng.
          - id: mot
            type: true_false
            text: Đúng không nữa?
            answer: false
            explanation: Sai.
          - id: ba
            type: single
            text: Chọn?
            choices: [yes, "Không"]
            answer: 0
        """)
    problems = problems_of(tmp_path)
    quiz = folder / "quiz.yml"
    assert f"{quiz}:7: question id 'mot' is used twice" in problems
    assert f"{quiz}:15: choice 0 must be text (quote words like yes/no/true)" in problems
    assert f"{quiz}:12: 'explanation' is required: learners read it after submitting" in problems


def test_lesson_without_heading_and_badly_named_lesson(tmp_path):
    folder = write_course(tmp_path)
    write_file(folder / "01-bai-mot.md", "Không có tiêu đề\n")
    write_file(folder / "bai-hai.md", "# Bài hai\n")
    problems = problems_of(tmp_path)
    lesson = folder / "01-bai-mot.md"
    assert f"{lesson}:1: a lesson starts with its title as '# Heading'" in problems
    assert any(p.startswith(f"{folder / 'bai-hai.md'}:1: lesson files are named NN-slug.md")
               for p in problems)


def test_missing_and_external_images_are_reported_with_their_line(tmp_path):
    folder = write_course(tmp_path)
    write_file(folder / "images" / "co.png", "png")
    write_file(folder / "03-hinh.md", """
        # Hình ảnh

        ![có](images/co.png)
        ![thiếu](images/thieu.png)
        ![ngoài](https://example.com/a.png)
        """)
    problems = problems_of(tmp_path)
    lesson = folder / "03-hinh.md"
    assert problems == [
        f"{lesson}:4: image 'images/thieu.png' not found",
        f"{lesson}:5: image 'https://example.com/a.png' must be a file in the course folder "
        "(no external images)",
    ]


def test_cli_check_prints_problems_and_exits_1(runner, tmp_path):
    folder = write_course(tmp_path)
    write_file(folder / "quiz.yml", "questions: []\n")
    result = runner.invoke(args=["courses", "check", str(tmp_path)])
    assert result.exit_code == 1
    assert f"{folder / 'quiz.yml'}:1: 'questions' must be a non-empty list" in result.output


def test_cli_check_ok_uses_configured_folder(runner, courses_dir):
    write_course(courses_dir)
    result = runner.invoke(args=["courses", "check"])
    assert result.exit_code == 0, result.output
    assert "OK: 1 course(s), 2 lesson(s), 1 quiz(zes)." in result.output


def test_day_counts_are_bounded_to_a_century(tmp_path):
    """A huge valid_days would push due dates past the last representable date."""
    write_course(tmp_path, valid_days=1_000_000, due_days=36_500)
    problems = problems_of(tmp_path)
    assert len(problems) == 1, problems
    assert "'valid_days' must be a whole number of days from 1 to 36500" in problems[0]
