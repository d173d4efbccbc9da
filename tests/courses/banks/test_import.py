"""`courses import-questions` and `export-questions`: the merged quiz.yml passes
`courses check`, ids stay put on re-import, nothing is written on any problem, and
an exported bank imports back as the same questions."""

from __future__ import annotations

import base64
import textwrap

import pytest
import yaml

from lms.courses.banks.gift import read_gift
from lms.courses.banks.moodlexml import read_moodle_xml
from lms.courses.loader import check_courses
from tests.builders import write_course

SLUG = "ky-nang-so-co-ban"
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
                       "60e6kgAAAABJRU5ErkJggg==")

BANK = """
// Ngân hàng câu hỏi an toàn thông tin
$CATEGORY: $course$/top/An toàn/Mật khẩu

::Mật khẩu mạnh::Mật khẩu nào mạnh nhất?{
  =T0i\\#Hoc$KyNang5o!
  ~123456
  ####Dài và khó đoán.
}

::Dấu hiệu::Dấu hiệu thư lừa đảo? {~%50%Tệp .rar ~%50%Gửi gấp ~%-100%Có chữ ký số}

Ứng dụng định danh điện tử là {=VNeID =VNeID quốc gia}.

::Ghép::Ghép việc với nơi làm.{=Khai sinh -> Cổng Dịch vụ công =Định danh -> VNeID}

::Tỷ lệ::45 trên 60 là bao nhiêu phần trăm?{#75:0.5}

::Đúng sai::Có được đọc mã OTP cho người khác?{F####Không bao giờ.}
"""


@pytest.fixture
def course(courses_dir):
    return write_course(courses_dir, SLUG, quiz=False)


def run(runner, tmp_path, bank: str, *options: str, name: str = "ngan-hang.gift",
        data: bytes | None = None):
    path = tmp_path / name
    path.write_bytes(data if data is not None else textwrap.dedent(bank).encode("utf-8"))
    return runner.invoke(args=["courses", "import-questions", str(path), "--course", SLUG,
                               *options])


def quiz_of(course):
    return yaml.safe_load((course / "quiz.yml").read_text("utf-8"))


def assert_checks(courses_dir):
    result = check_courses(courses_dir)
    assert result.ok, [str(p) for p in result.problems]
    return result


def test_import_writes_a_quiz_that_courses_check_accepts(runner, tmp_path, courses_dir, course):
    result = run(runner, tmp_path, BANK)
    assert result.exit_code == 0, result.output
    assert "6 new, 0 changed, 0 unchanged, 0 skipped" in result.output
    quiz = quiz_of(course)
    assert quiz["explanations"] == "optional"
    assert [q["id"] for q in quiz["questions"]] == [
        "mat-khau-manh", "dau-hieu", quiz["questions"][2]["id"], "ghep", "ty-le", "dung-sai"]
    assert quiz["questions"][2]["id"].startswith("q-")
    assert quiz["questions"][0] == {
        "id": "mat-khau-manh", "type": "single", "text": "Mật khẩu nào mạnh nhất?",
        "choices": ["T0i#Hoc$KyNang5o!", "123456"], "answer": 0,
        "explanation": "Dài và khó đoán.", "tags": ["mat-khau"]}
    assert quiz["questions"][4]["answer"] == 75 and quiz["questions"][4]["tolerance"] == 0.5
    checked = assert_checks(courses_dir)
    assert len(checked.courses[0].quiz["questions"]) == 6
    # Questions without an explanation are what `courses check --warnings` lists.
    assert len(checked.warnings) == 4
    listed = runner.invoke(args=["courses", "check", "--warnings"])
    assert listed.exit_code == 0, listed.output


def test_dry_run_prints_the_changes_and_writes_nothing(runner, tmp_path, course):
    result = run(runner, tmp_path, BANK, "--dry-run")
    assert result.exit_code == 0, result.output
    assert "+ mat-khau-manh (5: Mật khẩu mạnh)" in result.output
    assert "Dry run, nothing written." in result.output
    assert not (course / "quiz.yml").exists()


def test_format_from_the_extension_or_the_option(runner, tmp_path, course):
    aiken = "Câu?\nA. Có\nB. Không\nANSWER: A\n"
    assert run(runner, tmp_path, aiken, name="bank.aiken").exit_code == 0
    result = run(runner, tmp_path, aiken, name="bank.dat")
    assert result.exit_code != 0 and "unknown extension" in result.output
    result = run(runner, tmp_path, aiken, "--format", "aiken", "--dry-run", name="bank.dat")
    assert "0 new, 0 changed, 1 unchanged" in result.output
    result = runner.invoke(args=["courses", "import-questions", str(tmp_path / "bank.dat"),
                                 "--course", "khong-co"])
    assert result.exit_code != 0 and "no course 'khong-co'" in result.output


def test_unsupported_questions_stop_the_import_unless_skipped(runner, tmp_path, course):
    bank = BANK + "\n::Bài luận::Viết về mật khẩu. {}\n"
    result = run(runner, tmp_path, bank)
    assert result.exit_code == 1
    assert "ngan-hang.gift:21: câu 'Bài luận': phần đáp án trống {}: loại 'essay' chưa " \
           "được hỗ trợ" in result.output
    assert "--skip-unsupported" in result.output
    assert not (course / "quiz.yml").exists()
    result = run(runner, tmp_path, bank, "--skip-unsupported")
    assert result.exit_code == 0, result.output
    assert "skipped: " in result.output and "6 new, 0 changed, 0 unchanged, 1 skipped" \
        in result.output
    assert len(quiz_of(course)["questions"]) == 6


def test_malformed_bank_writes_nothing(runner, tmp_path, course):
    result = run(runner, tmp_path, BANK + "\n::Mật khẩu::Đặt mật khẩu thế nào? {=Dài ~Ngắn\n")
    assert result.exit_code == 1
    assert "ngan-hang.gift:21: câu 'Mật khẩu': thiếu dấu }" in result.output
    assert "nothing was written" in result.output
    assert not (course / "quiz.yml").exists()


def test_a_question_the_registry_refuses_is_named_in_the_bank(runner, tmp_path, course):
    result = run(runner, tmp_path, "::Ghép::Ghép.{=A -> 1 =A -> 2}\n")
    assert result.exit_code == 1
    assert "ngan-hang.gift:1: câu 'Ghép': left item 'A' is listed twice" in result.output
    assert not (course / "quiz.yml").exists()


def test_ids_are_stable_on_re_import(runner, tmp_path, courses_dir, course):
    assert run(runner, tmp_path, BANK).exit_code == 0
    first = quiz_of(course)["questions"]
    again = run(runner, tmp_path, BANK)
    assert "0 new, 0 changed, 6 unchanged" in again.output
    # The bank edited: a title's text changed, an untitled text re-spaced and
    # re-cased, a question renamed but with the same text, the order shuffled, one new.
    edited = """
        $CATEGORY: $course$/top/An toàn/Mật khẩu

        ::Đúng sai::Có được đọc mã OTP cho người khác?{F####Không bao giờ.}

        ::Mật khẩu mạnh::Mật khẩu nào là mạnh nhất?{=T0i\\#Hoc$KyNang5o! ~123456}

        ứng dụng  định danh điện tử LÀ {=VNeID =VNeID quốc gia}.

        ::Tên mới::Dấu hiệu thư lừa đảo? {~%50%Tệp .rar ~%50%Gửi gấp ~%-100%Có chữ ký số}

        ::Câu mới::Mã OTP dùng một lần? {T}
        """
    result = run(runner, tmp_path, edited)
    assert result.exit_code == 0, result.output
    # The re-cased text is the same question, changed; the renamed one is unchanged.
    assert "1 new, 2 changed, 2 unchanged" in result.output
    assert "~ mat-khau-manh (6: Mật khẩu mạnh): text\n" in result.output
    questions = {q["id"]: q for q in quiz_of(course)["questions"]}
    assert list(questions) == [q["id"] for q in first] + ["cau-moi"]
    assert questions["mat-khau-manh"]["text"] == "Mật khẩu nào là mạnh nhất?"
    assert questions[first[2]["id"]]["text"] == "ứng dụng  định danh điện tử LÀ _____."
    # The bank now says nothing more: the explanation written earlier stays.
    assert questions["mat-khau-manh"]["explanation"] == "Dài và khó đoán."
    assert_checks(courses_dir)


def test_merge_keeps_the_hand_written_quiz_and_its_comments(runner, tmp_path, courses_dir):
    course = write_course(courses_dir, SLUG)  # the builders' five questions (PyYAML's style)
    text = (course / "quiz.yml").read_text("utf-8")
    text = "# Bộ câu hỏi của khóa học\n" + text.replace("questions:", "questions:  # viết tay",
                                                          1)
    (course / "quiz.yml").write_text(text, "utf-8")
    before = quiz_of(course)
    result = run(runner, tmp_path, "::Câu mới::Mã OTP dùng một lần? {T####Đúng.}\n")
    assert result.exit_code == 0, result.output
    # Added after the last question, in the file's own indentation; the rest as it was.
    assert (course / "quiz.yml").read_text("utf-8") == text.replace(
        "shuffle: true", '- id: cau-moi\n  type: true_false\n  text: "Mã OTP dùng một lần?"\n'
        '  answer: true\n  explanation: "Đúng."\nshuffle: true')
    quiz = quiz_of(course)
    assert quiz["questions"][:5] == before["questions"]
    assert "explanations" not in quiz  # every question has one
    assert_checks(courses_dir)


def test_a_changed_question_is_replaced_in_place(runner, tmp_path, courses_dir):
    course = write_course(courses_dir, SLUG, quiz=None)
    (course / "quiz.yml").write_text(textwrap.dedent("""\
        pass_percent: 80
        questions:
          - id: mot
            type: single
            text: Câu một?
            choices: ["A", "B"]
            answer: 0
            explanation: Giải thích viết tay.   # giữ lại
          # câu hai
          - id: hai
            type: true_false
            text: Câu hai?
            answer: true
            explanation: Đúng.
        """), "utf-8")
    result = run(runner, tmp_path, "::mot::Câu một?{~A =B ~C}\n")
    assert result.exit_code == 0, result.output
    assert (course / "quiz.yml").read_text("utf-8") == textwrap.dedent("""\
        pass_percent: 80
        questions:
          - id: mot
            type: single
            text: "Câu một?"
            choices:
              - "A"
              - "B"
              - "C"
            answer: 1
            explanation: "Giải thích viết tay."
          # câu hai
          - id: hai
            type: true_false
            text: Câu hai?
            answer: true
            explanation: Đúng.
        """)
    assert_checks(courses_dir)


def test_a_quiz_not_written_as_a_block_list_is_written_whole(runner, tmp_path, courses_dir):
    course = write_course(courses_dir, SLUG, quiz=None)
    (course / "quiz.yml").write_text(
        "# một dòng\n{pass_percent: 70, questions: [{id: a, type: true_false, text: A, "
        "answer: true, explanation: E}]}\n", "utf-8")
    result = run(runner, tmp_path, "::Câu mới::Câu? {T####Đúng.}\n")
    assert result.exit_code == 0, result.output
    assert "is written whole (its comments are lost)" in result.output
    quiz = quiz_of(course)
    assert quiz["pass_percent"] == 70 and [q["id"] for q in quiz["questions"]] == ["a",
                                                                                   "cau-moi"]
    assert_checks(courses_dir)


def moodle_picture_bank(data: bytes = PNG) -> bytes:
    encoded = base64.b64encode(data).decode()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
<question type="truefalse">
  <name><text>Biểu tượng khóa</text></name>
  <questiontext format="html"><text><![CDATA[<p>Biểu tượng này an toàn?</p>
    <p><img src="@@PLUGINFILE@@/kh%C3%B3a.png" alt="ổ khóa"></p>]]></text>
    <file name="khóa.png" path="/" encoding="base64">{encoded}</file>
  </questiontext>
  <answer fraction="100"><text>true</text></answer>
  <answer fraction="0"><text>false</text></answer>
</question>
</quiz>
""".encode()


def test_pictures_are_saved_in_images_and_checked(runner, tmp_path, courses_dir, course):
    result = run(runner, tmp_path, "", name="anh.xml", data=moodle_picture_bank())
    assert result.exit_code == 0, result.output
    assert "+ images/khoa.png" in result.output
    assert (course / "images" / "khoa.png").read_bytes() == PNG
    [question] = quiz_of(course)["questions"]
    assert question["text"] == "Biểu tượng này an toàn?\n\n![ổ khóa](images/khoa.png)"
    assert_checks(courses_dir)
    # Again: the same picture is not written twice; another one under the same name
    # gets its own.
    assert "0 new, 0 changed, 1 unchanged" in run(runner, tmp_path, "", name="anh.xml",
                                                  data=moodle_picture_bank()).output
    other = PNG[:-12] + b"\x00" * 12
    result = run(runner, tmp_path, "", name="anh.xml", data=moodle_picture_bank(other))
    assert result.exit_code == 0, result.output
    [renamed] = [p.name for p in (course / "images").iterdir() if p.name != "khoa.png"]
    assert renamed.startswith("khoa-") and (course / "images" / renamed).read_bytes() == other
    assert f"images/{renamed}" in quiz_of(course)["questions"][0]["text"]
    assert_checks(courses_dir)


def test_a_refused_picture_writes_nothing(runner, tmp_path, course):
    data = moodle_picture_bank().replace(b'name="kh\xc3\xb3a.png"', b'name="../kh.png"')
    result = run(runner, tmp_path, "", name="anh.xml", data=data)
    assert result.exit_code == 1
    assert "tên tệp ảnh '../kh.png' không an toàn" in result.output
    assert not (course / "images").exists() and not (course / "quiz.yml").exists()


# --- export and round trip ------------------------------------------------------------

ROUND_TRIP_QUIZ = """\
pass_percent: 80
questions:
  - id: mat-khau-manh
    type: single
    text: "Mật khẩu {mạnh} nào: a=b ~c #d \\\\ e?"
    choices: ["yes", "Có", "[html] không phải định dạng", "100%"]
    answer: 1
    explanation: "Dòng một.\\nDòng hai: hết."
    tags: [mat-khau]
  - id: dau-hieu
    type: multiple
    text: "Dấu hiệu lừa đảo?"
    choices: ["A", "%10% phí", "C"]
    answer: [0, 2]
    explanation: "A và C."
    tags: [lua-dao]
  - id: otp
    type: true_false
    text: "[Cảnh báo] Được đọc mã OTP?"
    answer: false
    explanation: "Không."
  - id: vneid
    type: short
    text: "Ứng dụng định danh?"
    answer: ["VNeID", "VNeID quốc gia"]
    ignore_case: false
    explanation: "VNeID."
  - id: ghep
    type: matching
    text: "Ghép."
    pairs:
      - ["Khai sinh", "Cổng Dịch vụ công"]
      - ["Định danh", "VNeID"]
    distractors: ["Tổng đài 113"]
    explanation: "Ghép đúng."
  - id: ty-le
    type: numerical
    text: "Tỷ lệ?"
    answer: 75
    tolerance: 0.5
    explanation: "75%."
  - id: nhiet-do
    type: numerical
    text: "Khoảng?"
    answer: [{min: 3, max: 5}, {min: 10.5, max: 11}]
    explanation: "Hai khoảng."
  - id: khoang
    type: numerical
    text: "Một khoảng?"
    answer: {min: 1, max: 2}
    explanation: "Từ 1 đến 2."
  - id: anh
    type: true_false
    text: "Biểu tượng?\\n\\n![ổ khóa](images/khoa.png)"
    answer: true
    explanation: "Có."
"""


@pytest.mark.parametrize("fmt", ["gift", "moodlexml"])
def test_round_trip_gives_the_same_questions(runner, tmp_path, courses_dir, fmt):
    source = write_course(courses_dir, "nguon", quiz=False)
    (source / "quiz.yml").write_text(ROUND_TRIP_QUIZ, "utf-8")
    (source / "images").mkdir()
    (source / "images" / "khoa.png").write_bytes(PNG)
    assert_checks(courses_dir)
    output = tmp_path / ("bank.gift" if fmt == "gift" else "bank.xml")
    result = runner.invoke(args=["courses", "export-questions", "--course", "nguon",
                                 "--format", fmt, "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert "Exported 9 question(s)" in result.output

    target = write_course(courses_dir, "dich", quiz=False)
    if fmt == "gift":  # GIFT carries no pictures: they are copied with the course
        result = runner.invoke(args=["courses", "import-questions", str(output), "--course",
                                     "dich"])
        assert result.exit_code == 1
        assert "image 'images/khoa.png' not found (chép ảnh vào thư mục images/" in \
            result.output
        (target / "images").mkdir()
        (target / "images" / "khoa.png").write_bytes(PNG)
    result = runner.invoke(args=["courses", "import-questions", str(output), "--course",
                                 "dich"])
    assert result.exit_code == 0, result.output
    assert "9 new" in result.output and "note:" not in result.output
    checked = {c.slug: c for c in assert_checks(courses_dir).courses}
    exported = checked["nguon"].quiz["questions"]
    imported = checked["dich"].quiz["questions"]
    if fmt == "gift":
        # GIFT has no case-sensitive short answers (Moodle XML's <usecase> has).
        exported = [{k: v for k, v in q.items() if k != "ignore_case"} for q in exported]
    else:
        # Moodle XML has no ranges: a range is its middle ± half its width (two ranges
        # with different widths come back as ranges, numbers sharing one tolerance).
        exported = [dict(q, answer=1.5, tolerance=0.5) if q["id"] == "khoang" else q
                    for q in exported]
    assert imported == exported
    assert (target / "images" / "khoa.png").read_bytes() == PNG
    # The course's tags come back from the categories, and nothing else is tagged.
    assert [q.get("tags") for q in imported][:3] == [["mat-khau"], ["lua-dao"], None]


def test_exported_files_are_what_moodle_reads(runner, tmp_path, courses_dir):
    source = write_course(courses_dir, "nguon", quiz=False)
    (source / "quiz.yml").write_text(ROUND_TRIP_QUIZ, "utf-8")
    (source / "images").mkdir()
    (source / "images" / "khoa.png").write_bytes(PNG)
    runner.invoke(args=["courses", "export-questions", "--course", "nguon", "--format",
                        "gift", "-o", str(tmp_path / "b.gift")])
    gift = (tmp_path / "b.gift").read_text("utf-8")
    assert gift.startswith("$CATEGORY: $course$/top/nguon/mat-khau\n\n::mat-khau-manh::")
    assert "~%50%A\n\t~%-100%[markdown]%10% phí\n\t~%50%C" in gift
    assert "Mật khẩu \\{mạnh\\} nào\\: a\\=b \\~c \\#d \\\\ e?" in gift
    assert "[markdown][Cảnh báo]" in gift
    assert "#=3..5 =10.5..11" in gift
    bank = read_gift(gift.encode(), "b.gift")
    assert len(bank.questions) == 9 and not bank.errors
    runner.invoke(args=["courses", "export-questions", "--course", "nguon", "--format",
                        "moodlexml", "-o", str(tmp_path / "b.xml")])
    xml = (tmp_path / "b.xml").read_bytes()
    assert b'<file name="khoa.png" path="/" encoding="base64">' in xml
    assert b"@@PLUGINFILE@@/khoa.png" in xml
    assert b'<answer fraction="50" format="plain_text">' in xml
    assert len(read_moodle_xml(xml, "b.xml").questions) == 9


def test_export_needs_a_valid_course_with_a_quiz(runner, tmp_path, courses_dir, course):
    result = runner.invoke(args=["courses", "export-questions", "--course", SLUG,
                                 "--format", "gift", "-o", str(tmp_path / "x.gift")])
    assert result.exit_code != 0 and "has no quiz.yml" in result.output
