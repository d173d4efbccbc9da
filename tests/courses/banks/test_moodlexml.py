"""Moodle XML: every supported type, pictures, and what defusedxml refuses."""

from __future__ import annotations

import base64

from tests.courses.banks.helpers import moodle, only, problems

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
                       "60e6kgAAAABJRU5ErkJggg==")
PNG64 = base64.b64encode(PNG).decode()


def quiz(*questions: str) -> str:
    return '<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "\n".join(questions) + "</quiz>\n"


def question(kind: str, name: str, text: str, body: str, fmt: str = "html",
             feedback: str = "") -> str:
    return f"""<question type="{kind}">
  <name><text>{name}</text></name>
  <questiontext format="{fmt}"><text>{text}</text></questiontext>
  <generalfeedback format="html"><text>{feedback}</text></generalfeedback>
  {body}
</question>
"""


def answer(fraction: str, text: str, feedback: str = "", fmt: str = "html") -> str:
    return (f'<answer fraction="{fraction}" format="{fmt}"><text>{text}</text>'
            f'<feedback format="html"><text>{feedback}</text></feedback></answer>')


def test_multichoice_single_with_cdata_html_and_feedback():
    data = only(moodle(quiz(question(
        "multichoice", "Mật khẩu", "<![CDATA[<p>Mật khẩu nào <strong>mạnh</strong> nhất?</p>]]>",
        "<single>true</single>" + answer("0", "123456", "Quá phổ biến.")
        + answer("100", "<![CDATA[<p>T0i#Hoc$KyNang5o!</p>]]>") + answer("0", "ngày sinh"),
        feedback="<![CDATA[<p>Dài &amp; khó đoán.</p>]]>"))))
    assert data == {
        "type": "single", "text": "Mật khẩu nào **mạnh** nhất?",
        "choices": ["123456", "T0i#Hoc$KyNang5o!", "ngày sinh"], "answer": 1,
        "explanation": "Dài & khó đoán.\n123456: Quá phổ biến.",
    }


def test_multichoice_several_answers():
    data = only(moodle(quiz(question(
        "multichoice", "Lừa đảo", "Dấu hiệu?", "<single>false</single>"
        + answer("50", "Tệp .rar") + answer("-100", "Chữ ký số") + answer("50", "Gửi gấp")))))
    assert data["type"] == "multiple" and data["answer"] == [0, 2]


def test_truefalse_shortanswer_matching_numerical():
    bank = moodle(quiz(
        question("truefalse", "Đúng sai", "Trời xanh?",
                 answer("0", "true", "Sai.") + answer("100", "false", "Đúng."), "plain_text"),
        question("shortanswer", "Ngắn", "Ứng dụng định danh?", "<usecase>1</usecase>"
                 + answer("100", "VNeID") + answer("50", "VNID"), "moodle_auto_format"),
        question("matching", "Ghép", "Ghép cặp.", """
          <subquestion format="html"><text><![CDATA[<p>Khai sinh</p>]]></text>
            <answer><text>Cổng Dịch vụ công</text></answer></subquestion>
          <subquestion format="html"><text>Định danh</text>
            <answer><text>VNeID</text></answer></subquestion>
          <subquestion format="html"><text></text>
            <answer><text>Tổng đài 113</text></answer></subquestion>"""),
        question("numerical", "Số", "Tỷ lệ?", """
          <answer fraction="100"><text>75</text><tolerance>0.5</tolerance></answer>
          <answer fraction="0"><text>*</text><feedback><text>Tính lại.</text></feedback>
          </answer>"""),
    ))
    assert not bank.errors and not bank.unsupported
    assert [q.data for q in bank.questions] == [
        {"type": "true_false", "text": "Trời xanh?", "answer": False,
         "explanation": "Đúng.\nSai."},
        {"type": "short", "text": "Ứng dụng định danh?", "answer": ["VNeID"],
         "ignore_case": False},
        {"type": "matching", "text": "Ghép cặp.",
         "pairs": [["Khai sinh", "Cổng Dịch vụ công"], ["Định danh", "VNeID"]],
         "distractors": ["Tổng đài 113"]},
        {"type": "numerical", "text": "Tỷ lệ?", "answer": 75, "tolerance": 0.5,
         "explanation": "Tính lại."},
    ]
    assert [q.title for q in bank.questions] == ["Đúng sai", "Ngắn", "Ghép", "Số"]
    assert [q.line for q in bank.questions] == [3, 10, 17, 30]
    assert "1 đáp án không đúng 100% bị bỏ" in str(bank.notes[0])


def test_categories_and_unsupported_types_listed_by_name():
    bank = moodle(quiz(
        '<question type="category"><category><text>$course$/top/Mật khẩu</text></category>'
        "</question>",
        question("essay", "Bài luận", "Viết.", ""),
        question("calculated", "Tính", "{a} + {b}?", ""),
        question("ddwtos", "Kéo thả", "Kéo [[1]].", ""),
        question("multianswer", "Cloze", "{1:SHORTANSWER:=x}", ""),
        question("truefalse", "Được", "Đúng?", answer("100", "true") + answer("0", "false")),
    ))
    assert [str(p) for p in bank.unsupported] == [
        "cau-hoi.xml:4: câu 'Bài luận': loại 'essay' chưa được hỗ trợ",
        "cau-hoi.xml:11: câu 'Tính': loại 'calculated' chưa được hỗ trợ",
        "cau-hoi.xml:18: câu 'Kéo thả': loại 'ddwtos' chưa được hỗ trợ",
        "cau-hoi.xml:25: câu 'Cloze': loại 'multianswer' chưa được hỗ trợ",
    ]
    [kept] = bank.questions
    assert kept.category == "$course$/top/Mật khẩu"


def test_pluginfile_pictures_are_saved_and_referenced():
    text = ('<![CDATA[<p>Biểu tượng nào?<img src="@@PLUGINFILE@@/H%C3%ACnh%201.png" '
            'alt="khóa"></p>]]>')
    xml = quiz(f"""<question type="truefalse">
  <name><text>Ảnh</text></name>
  <questiontext format="html"><text>{text}</text>
    <file name="Hình 1.png" path="/" encoding="base64">{PNG64}</file>
  </questiontext>
  {answer("100", "true")}{answer("0", "false")}
</question>
""")
    bank = moodle(xml)
    assert only(bank)["text"] == "Biểu tượng nào?![khóa](images/hinh-1.png)"
    assert bank.images == {"hinh-1.png": PNG}


def test_dangerous_or_oversized_pictures_are_refused():
    def with_file(name: str, data: str, path: str = "/") -> list[str]:
        return problems(moodle(quiz(f"""<question type="truefalse">
  <name><text>Ảnh</text></name>
  <questiontext format="html"><text>x</text>
    <file name="{name}" path="{path}" encoding="base64">{data}</file>
  </questiontext>
  {answer("100", "true")}{answer("0", "false")}
</question>
""")))

    assert with_file("../../etc/x.png", PNG64) == [
        "cau-hoi.xml:6: câu 'Ảnh': tên tệp ảnh '../../etc/x.png' không an toàn"]
    assert with_file("x.png", PNG64, path="/../../") == [
        "cau-hoi.xml:6: câu 'Ảnh': tên tệp ảnh 'x.png' không an toàn"]
    assert with_file(".htaccess", PNG64) == [
        "cau-hoi.xml:6: câu 'Ảnh': tên tệp ảnh '.htaccess' không an toàn"]
    assert with_file("a.svg", PNG64) == [
        "cau-hoi.xml:6: câu 'Ảnh': tệp 'a.svg' không phải ảnh được phép (.gif, .jpeg, .jpg, "
        ".png, .webp)"]
    assert with_file("a.png", base64.b64encode(b"<script>").decode()) == [
        "cau-hoi.xml:6: câu 'Ảnh': nội dung tệp 'a.png' không phải ảnh PNG"]
    assert with_file("a.png", "%%%") == [
        "cau-hoi.xml:6: câu 'Ảnh': tệp 'a.png' không phải base64 hợp lệ"]
    big = base64.b64encode(PNG + b"\0" * (2 * 1024 * 1024)).decode()
    assert with_file("a.png", big) == ["cau-hoi.xml:6: câu 'Ảnh': ảnh 'a.png' lớn hơn 2 MB"]


DOCTYPE = ("cau-hoi.xml:2: XML có khai báo DOCTYPE (nơi khai báo thực thể, DTD ngoài): bị từ "
           "chối vì an toàn; tệp Moodle XML không có DOCTYPE")


def test_billion_laughs_is_refused_before_any_expansion():
    laughs = """<?xml version="1.0"?>
<!DOCTYPE quiz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol9 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<quiz><question type="truefalse"><name><text>&lol9;</text></name></question></quiz>
"""
    bank = moodle(laughs)
    assert problems(bank) == [DOCTYPE]
    assert not bank.questions


def test_external_entities_and_dtds_are_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("mật khẩu bí mật")
    bank = moodle(f"""<?xml version="1.0"?>
<!DOCTYPE quiz [<!ENTITY xxe SYSTEM "file://{secret}">]>
<quiz><question type="truefalse"><name><text>&xxe;</text></name></question></quiz>
""")
    assert problems(bank) == [DOCTYPE] and not bank.questions
    bank = moodle("""<?xml version="1.0"?>
<!DOCTYPE quiz SYSTEM "http://127.0.0.1:9/evil.dtd">
<quiz><question type="truefalse"><name><text>x</text></name></question></quiz>
""")
    assert problems(bank) == [DOCTYPE] and not bank.questions


def test_entities_are_refused_even_without_a_doctype_check(monkeypatch):
    """The second line of defence: with DOCTYPEs allowed, defusedxml still refuses
    the entity declarations themselves."""
    from defusedxml.ElementTree import DefusedXMLParser

    from lms.courses.banks import moodlexml

    class Lenient(DefusedXMLParser):
        def __init__(self, **options):
            super().__init__(**{**options, "forbid_dtd": False})

    monkeypatch.setattr(moodlexml, "DefusedXMLParser", Lenient)
    bank = moodle("""<?xml version="1.0"?>
<!DOCTYPE quiz [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
]>
<quiz><question type="truefalse"><name><text>&lol1;</text></name></question></quiz>
""")
    assert problems(bank) == [
        "cau-hoi.xml:3: XML khai báo thực thể (entity) 'lol': bị từ chối vì an toàn"]


def test_malformed_xml_named_by_line_and_question():
    assert problems(moodle("""<?xml version="1.0"?>
<quiz>
  <question type="truefalse">
    <name><text>Hỏng</text></name>
  </questio>
</quiz>
""")) == ["cau-hoi.xml:5: XML không hợp lệ: mismatched tag"]
    assert problems(moodle(quiz(question("multichoice", "Không đúng", "Câu?",
                                         answer("0", "A") + answer("0", "B"))))) == [
        "cau-hoi.xml:3: câu 'Không đúng': không có đáp án đúng 100%"]
    assert problems(moodle(quiz(question("numerical", "Số hỏng", "Câu?",
                                         answer("100", "mười"))))) == [
        "cau-hoi.xml:7: câu 'Số hỏng': 'mười' không phải số"]
    assert problems(moodle("<quizz/>")) == [
        "cau-hoi.xml:1: tệp Moodle XML bắt đầu bằng <quiz>, không phải <quizz>"]
