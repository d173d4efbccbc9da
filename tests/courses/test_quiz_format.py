"""quiz.yml's additions at `courses check`: the registry's types, pools, attempt rules
and optional explanations, each problem at its file:line."""

from __future__ import annotations

from sqlalchemy import select

from lms.courses.loader import check_courses
from lms.courses.models import Course
from lms.courses.sync import sync_courses
from lms.extensions import db
from tests.builders import write_course, write_file


def problems_of(root):
    return [str(p) for p in check_courses(root).problems]


def pool(n: int, **quiz) -> dict:
    """A quiz of ``n`` true/false questions tagged by parity (chan / le)."""
    return {"pass_percent": 60, **quiz, "questions": [
        {"id": f"cau-{i}", "type": "true_false", "text": f"Câu {i}?", "answer": i % 2 == 0,
         "explanation": "Vì thế.", "tags": ["chan" if i % 2 == 0 else "le"]}
        for i in range(n)]}


def test_an_unknown_type_is_an_error_at_its_line(tmp_path):
    folder = write_course(tmp_path)
    write_file(folder / "quiz.yml", """
        questions:
          - id: mot
            type: essay
            text: Viết một đoạn văn.
            explanation: Không chấm tự động.
        """)
    assert problems_of(tmp_path) == [
        f"{folder / 'quiz.yml'}:3: 'type' must be one of single, multiple, true_false, short, "
        "matching, numerical"]


def test_new_types_load_and_their_problems_have_lines(tmp_path):
    folder = write_course(tmp_path)
    write_file(folder / "quiz.yml", """
        questions:
          - id: ghep
            type: matching
            text: Ghép.
            pairs:
              - [Khai sinh, Cổng DVC]
              - [Định danh]
            explanation: Như bài 2.
          - id: so
            type: numerical
            text: Bao nhiêu?
            answer: {min: 5, max: 3}
            explanation: Ba đến năm.
          - id: ngan
            type: short
            text: Tên?
            answer: VNeID
            ignore_case: "không"
            choices: [a, b]
            explanation: VNeID.
        """)
    quiz = folder / "quiz.yml"
    assert problems_of(tmp_path) == [
        f"{quiz}:7: pair 1 must be [left, right], both text (quote words like yes/no)",
        f"{quiz}:12: the range's min (5) is above its max (3)",
        f"{quiz}:19: a short question has no 'choices'",
        f"{quiz}:18: 'ignore_case' must be true or false",
    ]
    write_file(folder / "quiz.yml", """
        questions:
          - id: ghep
            type: matching
            text: Ghép.
            pairs: [[Khai sinh, Cổng DVC], [Định danh, VNeID]]
            partial: true
            explanation: Như bài 2.
          - id: so
            type: numerical
            text: Bao nhiêu?
            answer: 3.5
            tolerance: 0.1
            explanation: Ba phẩy năm.
        """)
    result = check_courses(tmp_path)
    assert result.ok, result.problems
    matching, numerical = result.courses[0].quiz["questions"]
    assert matching["pairs"] == [["Khai sinh", "Cổng DVC"], ["Định danh", "VNeID"]]
    assert matching["partial"] is True
    assert numerical["answer"] == 3.5 and numerical["tolerance"] == 0.1


def test_a_picture_in_a_question_must_be_in_the_course_folder(tmp_path):
    folder = write_course(tmp_path)
    write_file(folder / "quiz.yml", """
        questions:
          - id: hinh
            type: true_false
            text: "Đây là trang giả mạo? ![trang](images/gia-mao.png)"
            answer: true
            explanation: Tên miền lạ.
        """)
    assert problems_of(tmp_path) == [
        f"{folder / 'quiz.yml'}:4: image 'images/gia-mao.png' not found"]
    write_file(folder / "images" / "gia-mao.png", "png")
    assert problems_of(tmp_path) == []


def test_draw_problems(tmp_path):
    folder = write_course(tmp_path, quiz=pool(6, draw=7))
    quiz = folder / "quiz.yml"
    [problem] = problems_of(tmp_path)
    assert problem.startswith(f"{quiz}:")
    assert "'draw' must be a whole number from 1 to 6 (the questions in the pool)" in problem
    write_course(tmp_path, quiz=pool(6, draw={"chan": 4, "le": 1}))
    assert any("draw: 4 question(s) tagged 'chan' per attempt, but only 3 carry that tag"
               in p for p in problems_of(tmp_path))
    write_course(tmp_path, quiz=pool(6, draw={"chan": 1}))
    problems = problems_of(tmp_path)
    assert len(problems) == 3
    assert "question 'cau-1' has none of the drawn tags (chan): it would never be asked" in \
        problems[0]
    data = pool(6, draw={"chan": 1, "le": 1})
    data["questions"][0]["tags"] = ["chan", "le"]
    write_course(tmp_path, quiz=data)
    assert any("question 'cau-0' has two drawn tags (chan, le)" in p
               for p in problems_of(tmp_path))
    write_course(tmp_path, quiz=pool(6, draw="ba"))
    assert any("'draw' must be a number of questions, or a mapping" in p
               for p in problems_of(tmp_path))


def test_attempt_rules_are_bounded(tmp_path):
    write_course(tmp_path, quiz=pool(2, cooldown_minutes=-5, time_limit_minutes=2000,
                                     explanations="maybe"))
    problems = problems_of(tmp_path)
    assert len(problems) == 3
    assert any("'cooldown_minutes' must be a whole number of minutes from 0 (none) to 43200"
               in p for p in problems)
    assert any("'time_limit_minutes' must be a whole number of minutes from 0 (none) to 1440"
               in p for p in problems)
    assert any("'explanations' must be required" in p for p in problems)


def test_explanations_stay_required_for_courses_written_here(tmp_path):
    data = pool(2)
    del data["questions"][1]["explanation"]
    folder = write_course(tmp_path, quiz=data)
    assert problems_of(tmp_path) == [
        f"{folder / 'quiz.yml'}:10: 'explanation' is required: learners read it after "
        "submitting"]


def test_an_imported_bank_may_leave_them_out_and_check_warns(runner, tmp_path):
    root = tmp_path / "bank"  # (tmp_path/courses is the app's own folder)
    data = pool(3, explanations="optional")
    del data["questions"][1]["explanation"]
    data["questions"][2]["explanation"] = " "
    folder = write_course(root, quiz=data)
    result = check_courses(root)
    assert result.ok, result.problems
    assert [str(w) for w in result.warnings] == [
        f"{folder / 'quiz.yml'}:{line}: question '{qid}' has no explanation (learners read "
        "none after submitting)" for line, qid in ((12, "cau-1"), (19, "cau-2"))]
    assert "explanation" not in result.courses[0].quiz["questions"][1]

    plain = runner.invoke(args=["courses", "check", str(root)])
    assert plain.exit_code == 0, plain.output
    assert "2 warning(s): see them with --warnings." in plain.output
    assert "warning:" not in plain.output
    listed = runner.invoke(args=["courses", "check", "--warnings", str(root)])
    assert listed.exit_code == 0
    assert (f"{folder / 'quiz.yml'}:12: warning: question 'cau-1' has no explanation"
            in listed.output)


def test_sync_stores_the_attempt_rules_on_the_course_row(app, courses_dir):
    write_course(courses_dir, quiz=pool(10, draw={"chan": 2, "le": 1}, max_attempts=3,
                                        cooldown_minutes=30, time_limit_minutes=20))
    sync_courses(courses_dir)
    course = db.session.scalar(select(Course))
    assert (course.quiz_questions, course.quiz_pool_questions, course.quiz_max_attempts,
            course.quiz_cooldown_minutes, course.quiz_time_limit_minutes) == (3, 10, 3, 30, 20)
    assert course.quiz["draw"] == {"chan": 2, "le": 1}
    write_course(courses_dir)  # the default quiz: no pool, no rules
    sync_courses(courses_dir)
    assert (course.quiz_questions, course.quiz_pool_questions, course.quiz_cooldown_minutes,
            course.quiz_time_limit_minutes) == (5, 5, 0, 0)
