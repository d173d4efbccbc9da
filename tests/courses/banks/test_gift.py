"""GIFT, read as Moodle reads it: every feature with a bank written here."""

from __future__ import annotations

from tests.courses.banks.helpers import gift, only, problems


def test_single_choice_with_title_and_feedback():
    bank = gift("""
        // Câu về mật khẩu
        ::Mật khẩu mạnh::Mật khẩu nào mạnh nhất?{
          ~123456 #Quá phổ biến.
          =T0i\\#Hoc$KyNang5o! #Dài, đủ loại ký tự.
          ~ngày sinh
          ####Mật khẩu mạnh dài và khó đoán.
        }
        """)
    [question] = bank.questions
    assert question.title == "Mật khẩu mạnh" and question.line == 2
    assert question.data == {
        "type": "single", "text": "Mật khẩu nào mạnh nhất?",
        "choices": ["123456", "T0i#Hoc$KyNang5o!", "ngày sinh"], "answer": 1,
        "explanation": "Mật khẩu mạnh dài và khó đoán.\n123456: Quá phổ biến.\n"
                       "T0i#Hoc$KyNang5o!: Dài, đủ loại ký tự.",
    }


def test_weights_make_multiple_choice_negative_weights_are_wrong():
    data = only(gift("Dấu hiệu lừa đảo? {~%50%Tệp .rar ~%50%Gửi gấp ~%-100%Có chữ ký số}"))
    assert data["type"] == "multiple"
    assert data["choices"] == ["Tệp .rar", "Gửi gấp", "Có chữ ký số"]
    assert data["answer"] == [0, 1]


def test_partial_weights_in_single_choice_are_noted_and_dropped():
    bank = gift("Câu? {=Đúng ~%50%Gần đúng ~Sai}")
    assert only(bank)["answer"] == 0
    assert "chỉ lựa chọn đúng 100% được tính" in str(bank.notes[0])


def test_true_false_in_every_spelling_with_feedback():
    for word, answer in (("T", True), ("TRUE", True), ("F", False), ("FALSE", False),
                         ("true", True)):
        assert only(gift(f"Trời xanh? {{{word}}}"))["answer"] is answer
    data = only(gift("Trời xanh? {FALSE#Sai: trời xanh.#Đúng rồi.####Nhìn lên.}"))
    assert data == {"type": "true_false", "text": "Trời xanh?", "answer": False,
                    "explanation": "Nhìn lên.\nĐúng rồi.\nSai: trời xanh."}


def test_short_answer_keeps_only_right_answers():
    bank = gift("::Đường dây nóng::Số đường dây nóng? {=156 =số 156 =%50%115#Gần đúng}")
    assert only(bank) == {"type": "short", "text": "Số đường dây nóng?",
                          "answer": ["156", "số 156"]}
    assert "1 đáp án không đúng 100% bị bỏ" in str(bank.notes[0])


def test_missing_word_question_gets_a_blank():
    data = only(gift("Ứng dụng {=VNeID} dùng để định danh điện tử."))
    assert data["text"] == "Ứng dụng _____ dùng để định danh điện tử."
    assert data["answer"] == ["VNeID"]


def test_matching_pairs_and_extra_right_items():
    data = only(gift("""
        ::Ghép::Ghép việc với nơi làm. {
          =Khai sinh -> Cổng Dịch vụ công
          =Định danh -> VNeID
          = -> Tổng đài 113
        }
        """))
    assert data == {"type": "matching", "text": "Ghép việc với nơi làm.",
                    "pairs": [["Khai sinh", "Cổng Dịch vụ công"], ["Định danh", "VNeID"]],
                    "distractors": ["Tổng đài 113"]}


def test_numerical_tolerance_range_and_several_answers():
    assert only(gift("Pi? {#3.14:0.01}")) == {"type": "numerical", "text": "Pi?",
                                              "answer": 3.14, "tolerance": 0.01}
    assert only(gift("Khoảng? {#1..2}"))["answer"] == {"min": 1, "max": 2}
    assert only(gift("Chính xác? {#42}"))["answer"] == 42
    assert only(gift("Dấu phẩy? {#3,5:0,1}"))["answer"] == 3.5
    bank = gift("Năm? {#=1945:0 =%50%1945:2 =2.5:0 ~#Sai năm.####Năm 1945.}")
    data = only(bank)
    assert data["answer"] == [1945, 2.5] and "tolerance" not in data
    assert data["explanation"] == "Năm 1945.\nSai năm."
    assert bank.notes  # the 50% answer
    data = only(gift("Hai? {#=3.5:0.1 =7:0.5}"))
    assert data["answer"] == [{"min": 3.4, "max": 3.6}, {"min": 6.5, "max": 7.5}]


def test_escapes_and_escaped_newline():
    data = only(gift("Ký tự \\= \\~ \\# \\{ \\} \\: \\\\ và\\ndòng mới {T}"))
    assert data["text"] == "Ký tự = ~ # { } : \\ và\ndòng mới"


def test_categories_become_the_questions_category():
    bank = gift("""
        $CATEGORY: $course$/top/An toàn/Mật khẩu

        Câu một? {T}

        $CATEGORY: $course$/top/Lừa đảo
        Câu hai? {F}
        """)
    assert [q.category for q in bank.questions] == ["$course$/top/An toàn/Mật khẩu",
                                                     "$course$/top/Lừa đảo"]


def test_text_formats_html_is_sanitised_markdown_and_plain_kept():
    data = only(gift("""[html]<p>Chọn <b>đúng</b><script>alert(1)</script>
        <img src="https://x.example/a.png" onerror="x()"></p>{=<i>Có</i> ~Không}"""))
    assert data["text"] == "Chọn **đúng**"
    assert data["choices"] == ["*Có*", "Không"]
    assert "<script>" not in str(data)
    assert only(gift("[markdown]Chọn **một**{T}"))["text"] == "Chọn **một**"
    assert only(gift("[plain]Dấu <b> giữ nguyên{T}"))["text"] == "Dấu <b> giữ nguyên"
    # Without a format, text with real markup is HTML; "x<y" is not markup.
    assert only(gift("Số x<y và y>z? {T}"))["text"] == "Số x<y và y>z?"
    assert only(gift("Chọn <b>một</b> &amp; hai? {T}"))["text"] == "Chọn **một** & hai?"
    assert only(gift("Câu? {T####[html]<p>Giải <em>thích</em></p>}"))["explanation"] == \
        "Giải *thích*"


def test_multi_line_questions_and_blank_line_separation():
    bank = gift("""
        ::Một::Dòng thứ nhất
        dòng thứ hai
        {
        =A
        ~B
        }

        ::Hai:: Câu hai {T}
        """)
    assert [q.data["text"] for q in bank.questions] == ["Dòng thứ nhất\ndòng thứ hai",
                                                        "Câu hai"]
    assert [q.line for q in bank.questions] == [1, 8]


def test_malformed_gift_named_by_line_and_question():
    assert problems(gift("""
        Câu đúng {T}

        ::Mật khẩu::Đặt mật khẩu
        thế nào? {=Dài ~Ngắn

        Câu sau {T}
        """)) == ["cau-hoi.gift:4: câu 'Mật khẩu': thiếu dấu }"]
    assert problems(gift("::Tên chưa đóng Câu {T}")) == [
        "cau-hoi.gift:1: thiếu dấu :: đóng tên câu hỏi"]
    assert problems(gift("::A::Câu } lạ {T}")) == [
        "cau-hoi.gift:1: câu 'A': thiếu dấu { (dấu } không có dấu { mở)"]
    assert "một câu chỉ có một phần đáp án" in problems(gift("::B::Câu {T} và {F}"))[0]
    assert problems(gift("::C::Câu {=A}\n")) == []  # a one-answer short answer is fine
    assert problems(gift("::D::Câu {~A ~B}")) == [
        "cau-hoi.gift:1: câu 'D': không có đáp án đúng (câu nhiều đáp án: đánh dấu bằng "
        "~%50%...)"]
    assert problems(gift("::E::Câu {#abc}")) == [
        "cau-hoi.gift:1: câu 'E': 'abc' không phải số (viết #3.5 hoặc #3.5:0.1)"]
    assert problems(gift("::F::Câu {=a -> 1 =b}")) == [
        "cau-hoi.gift:1: câu 'F': mỗi cặp ghép có dạng =vế trái -> vế phải: 'b'"]
    assert problems(gift("::G::Câu {=a ~%x%b}")) == [
        "cau-hoi.gift:1: câu 'G': trọng số '%x%' không hợp lệ (viết %50% hoặc %-100%)"]
    assert problems(gift("::H::Câu {=1..0}"))  == []  # short answer text, not numerical
    assert problems(gift("::I::Câu {#2..1}")) == [
        "cau-hoi.gift:1: câu 'I': khoảng 2..1: số đầu lớn hơn số cuối"]


def test_unsupported_types_are_listed_by_line_and_name():
    bank = gift("""
        ::Bài luận::Viết về an toàn thông tin. {}

        Chỉ là mô tả, không có câu hỏi.

        ::Một lựa chọn::Câu? {=A =B ~C}
        """)
    assert [str(p) for p in bank.unsupported] == [
        "cau-hoi.gift:1: câu 'Bài luận': phần đáp án trống {}: loại 'essay' chưa được hỗ trợ",
        "cau-hoi.gift:3: câu 'Chỉ là mô tả, không có câu hỏi.': không có phần đáp án {...}: "
        "loại 'description' chưa được hỗ trợ",
        "cau-hoi.gift:5: câu 'Một lựa chọn': 2 lựa chọn cùng đúng trong câu một đáp án: dùng "
        "~%50% cho câu nhiều đáp án",
    ]
    assert not bank.questions and not bank.errors


def test_utf8_bom_windows_line_ends_and_utf16():
    from lms.courses.banks.gift import read_gift

    text = "\ufeff::A::Câu một? {T}\r\n\r\n::B::Câu hai? {F}\r\n"
    assert len(read_gift(text.encode("utf-8"), "a.gift").questions) == 2
    assert len(read_gift(text.encode("utf-16"), "a.gift").questions) == 2
    bad = read_gift("Câu? {T}".encode("cp1258", errors="replace") + b"\xff\xfe\xfa", "a.gift")
    assert "UTF-8" in str(bad.errors[0])
