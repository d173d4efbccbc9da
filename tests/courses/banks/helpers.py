"""Small helpers for the question bank tests: banks are written here, in the tests."""

from __future__ import annotations

import textwrap

from lms.courses.banks.aiken import read_aiken
from lms.courses.banks.bank import Bank
from lms.courses.banks.gift import read_gift
from lms.courses.banks.moodlexml import read_moodle_xml


def dedent(text: str) -> bytes:
    return textwrap.dedent(text).lstrip("\n").encode("utf-8")


def gift(text: str, name: str = "cau-hoi.gift") -> Bank:
    return read_gift(dedent(text), name)


def aiken(text: str, name: str = "cau-hoi.aiken") -> Bank:
    return read_aiken(dedent(text), name)


def moodle(text: str, name: str = "cau-hoi.xml") -> Bank:
    return read_moodle_xml(dedent(text), name)


def only(bank: Bank) -> dict:
    """The one question a bank holds, with nothing wrong."""
    assert not bank.errors and not bank.unsupported, [str(p) for p in bank.errors
                                                      + bank.unsupported]
    [question] = bank.questions
    return question.data


def problems(bank: Bank) -> list[str]:
    return [str(p) for p in bank.errors]
