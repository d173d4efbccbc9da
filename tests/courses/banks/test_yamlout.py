"""quiz.yml as the importer writes and reads it."""

from __future__ import annotations

import glob
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.courses.banks.yamlout import Layout, load, question_lines, quoted, render


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_any_text_reads_back_as_written(text):
    assert yaml.safe_load(quoted(text)) == text
    question = {"id": "a", "type": "short", "text": text, "answer": [text or "x"],
                "tags": ["b"]}
    assert yaml.safe_load(render({"pass_percent": 80}, [question]))["questions"] == [question]


def test_values_keep_their_types():
    question = {"id": "yes", "type": "numerical", "text": "123",
                "answer": [1, {"min": 0.00001, "max": 2.5}], "tolerance": 0.1,
                "pairs": [["yes", "null"], ["1", "true"]], "choices": ["Có", "no", "~"]}
    assert yaml.safe_load("\n".join(question_lines(question)))[0] == question


def test_the_lean_reader_reads_what_pyyaml_reads():
    samples = ["a: &x [1, 2]\nb: *x\n", "<<: {a: 1}\nb: 2\n", "x: !!set {a, b}\n",
               "q: 2026-01-01\nr: 0x1f\ns: ~\nt: 1.5e3\nu: yes\nv: '1'\nw: !!str 2\n",
               "- 1\n- 2\n", "", "a: |\n  x\n  y\nb: >\n  z\n", "a: !!binary aGk=\n"]
    for text in samples + [Path(f).read_text("utf-8")
                           for f in sorted(glob.glob("courses/*/quiz.yml"))]:
        assert load(text)[1] == yaml.safe_load(text), text[:80]


def test_layout_finds_each_question_and_only_block_lists():
    text = ("pass_percent: 80  # đạt\nquestions:\n  - id: a\n    type: true_false\n"
            "    text: A\n    answer: true\n\n  # b\n  - id: b\n    type: true_false\n"
            "    text: B\n    answer: false\n\nshuffle: false\n")
    layout = Layout(text, load(text)[0])
    assert layout.ok and layout.dash == 2
    assert layout.ranges == [(2, 8), (8, 12)]
    merged = layout.merge({1: {"id": "b", "type": "true_false", "text": "B2", "answer": True}},
                          [{"id": "c", "type": "true_false", "text": "C", "answer": False}],
                          {"explanations": "optional"})
    assert merged == (
        "pass_percent: 80  # đạt\nexplanations: optional\nquestions:\n  - id: a\n"
        "    type: true_false\n    text: A\n    answer: true\n\n  # b\n  - id: b\n"
        '    type: true_false\n    text: "B2"\n    answer: true\n  - id: c\n'
        '    type: true_false\n    text: "C"\n    answer: false\n\nshuffle: false\n')
    for flow in ("questions: [{id: a}]\n", "{questions: [1]}\n", "pass_percent: 80\n"):
        assert not Layout(flow, load(flow)[0]).ok
