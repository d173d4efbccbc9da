"""Aiken: one-answer multiple choice."""

from __future__ import annotations

from tests.courses.banks.helpers import aiken, problems


def test_questions_with_dot_and_parenthesis_options():
    bank = aiken("""
        Mật khẩu nào mạnh nhất?
        A. 123456
        B) T0i#Hoc$KyNang5o!
        C. ngày sinh
        ANSWER: B

        Số đường dây nóng
        chống lừa đảo là?
        A) 113
        B) 156
        ANSWER: B
        Câu không cần dòng trống?
        A. Có
        B. Không
        ANSWER: A
        """)
    assert not bank.errors
    assert [q.data for q in bank.questions] == [
        {"type": "single", "text": "Mật khẩu nào mạnh nhất?",
         "choices": ["123456", "T0i#Hoc$KyNang5o!", "ngày sinh"], "answer": 1},
        {"type": "single", "text": "Số đường dây nóng\nchống lừa đảo là?",
         "choices": ["113", "156"], "answer": 1},
        {"type": "single", "text": "Câu không cần dòng trống?", "choices": ["Có", "Không"],
         "answer": 0},
    ]
    assert [q.line for q in bank.questions] == [1, 7, 12]
    assert all(q.title is None for q in bank.questions)


def test_malformed_aiken_named_by_line_and_question():
    assert problems(aiken("""
        Câu một?
        A. x
        B. y
        ANSWER: D

        Câu hai?
        A. x
        C. y
        ANSWER: A

        Câu ba?
        A. x
        B. y

        Câu bốn?
        A. x
        ANSWER: A
        ANSWER: A
        """)) == [
        "cau-hoi.aiken:4: câu 'Câu một?': ANSWER: 'D' không phải một lựa chọn (A, B)",
        "cau-hoi.aiken:8: câu 'Câu hai?': lựa chọn 'C' đứng sau 1 lựa chọn: mong đợi 'B'",
        "cau-hoi.aiken:11: câu 'Câu ba?': thiếu dòng ANSWER: X sau các lựa chọn",
        "cau-hoi.aiken:17: câu 'Câu bốn?': cần ít nhất hai lựa chọn A. B. ... trước dòng "
        "ANSWER",
        "cau-hoi.aiken:18: dòng ANSWER không thuộc câu hỏi nào",
    ]
