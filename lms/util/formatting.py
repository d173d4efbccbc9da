"""Dates, instants and numbers for people, formatted by Babel in the page's locale,
the place-and-date line of official documents, and the Vietnamese order of names."""

from __future__ import annotations

import unicodedata
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import lru_cache

from babel import dates as babel_dates
from babel import numbers as babel_numbers
from flask import g
from flask_babel import format_date, format_datetime


def locale_name() -> str:
    """The identifier of the locale Flask-Babel formats in ("vi", "en"), without having
    Flask-Babel resolve and parse it when nothing has asked for it yet in this request:
    the locale it keeps (``force_locale`` sets one) or else what its selector would
    give (:func:`lms.select_locale`)."""
    from lms import select_locale

    if not g:  # no app context: Vietnamese, as Flask-Babel's formatting falls back to
        return "vi"
    locale = getattr(getattr(g, "_flask_babel", None), "babel_locale", None)
    return str(locale) if locale is not None else select_locale()


def date_vi(day: date | None) -> str:
    """30/11/2026 (Vietnamese documents write dates day first, in every locale here)."""
    if not day:
        return ""
    if isinstance(day, datetime):  # Flask-Babel moves an instant to the user's zone
        return format_date(day, "dd/MM/yyyy")
    return _day(day, locale_name())


@lru_cache(maxsize=4096)
def _day(day: date, locale: str) -> str:
    # Remembered per day and locale, as numbers are (Babel takes longer than the rest of
    # a small page's text).
    return babel_dates.format_date(day, "dd/MM/yyyy", locale=locale)


def datetime_vi(instant: datetime | None) -> str:
    """A stored (naive UTC) instant in the province's time: 30/11/2026 14:05."""
    if instant is None:
        return ""
    return format_datetime(instant.replace(tzinfo=UTC), "dd/MM/yyyy HH:mm")


@lru_cache(maxsize=16384)
def _format(value: int | float | Decimal, pattern: str | None, locale: str) -> str:
    # A report page formats thousands of numbers, most of them small counts it has
    # met before: Babel's formatting is kept per value, pattern and locale.
    return babel_numbers.format_decimal(value, pattern, locale=locale)


def format_decimal(value: int | float | Decimal, pattern: str | None = None) -> str:
    """Babel's format_decimal in the page's locale (as flask_babel's), remembered."""
    return _format(value, pattern, locale_name())


def number_vi(value: int | float | None) -> str:
    """3.000 in Vietnamese, 3,000 in English."""
    return format_decimal(value or 0)


def decimal_vi(value: int | float | Decimal | None, digits: int = 1) -> str:
    """48,4 in Vietnamese (48.4 in English), always ``digits`` decimals."""
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value or 0, pattern)


def percent_vi(value: int | float | Decimal | None, digits: int | None = 1) -> str:
    """A percentage already in percent (48.4 → "48,4%"); ``digits=0`` rounds: "80%";
    ``digits=None`` writes a decimal only when there is one (a score: "80%", "82,5%")."""
    if digits is None:
        return format_decimal(value or 0, "#,##0.#") + "%"
    return decimal_vi(value, digits) + "%"


def place_date(place: str, day: date | None) -> str:
    """"Nghệ An, ngày 05 tháng 02 năm 2026" as Decree 30/2020/NĐ-CP writes it: a day
    below 10 and the months 1 and 2 get a leading zero (no other month does). With no
    day, the blanks are left to fill in by hand when the paper is signed."""
    if day is None:
        return f"{place}, ngày …… tháng …… năm ……"
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"{place}, ngày {day.day:02d} tháng {month} năm {day.year}"


# Vietnamese letter order (with the letters of foreign names in their Latin places).
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_MODIFIED = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê",
             ("o", "\u0302"): "ô", ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}
# Tones after the letters: none, huyền, hỏi, ngã, sắc, nặng (Vietnamese dictionaries).
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def _word_key(word: str) -> str:
    """One word as a string that sorts bytewise in Vietnamese order: its letters
    (digits first, then a ă â b … đ …), then its tone, then a space so a shorter word
    sorts before a longer one that starts with it."""
    letters: list[str] = []
    tone = 0
    for char in unicodedata.normalize("NFD", word.lower()):
        if char in _TONES:
            tone = max(tone, _TONES[char])
        elif unicodedata.combining(char):
            if letters and (letters[-1], char) in _MODIFIED:
                letters[-1] = _MODIFIED[(letters[-1], char)]
        elif char.isalnum():
            letters.append(char)
    keyed = []
    for letter in letters:
        if letter.isdigit():
            keyed.append(chr(0x30 + int(letter)) if letter in "0123456789" else "9")
        elif letter in _ALPHABET:
            keyed.append(chr(0x41 + _ALPHABET.index(letter)))  # A… for a…
        else:
            keyed.append("~")  # other scripts after every Vietnamese letter
    return "".join(keyed) + "!" + str(tone) + " "


def name_sort_key(full_name: str) -> str:
    """The order of Vietnamese name lists: the given name (last word) first, then the
    middle names, then the family name, each in Vietnamese letter order, so "Dương"
    comes before "Đặng" and "Đặng" before "Vi". A plain string: it can be stored in a
    column and sorted by the database (bytewise) as well as by Python."""
    words = full_name.split()
    if not words:
        return ""
    ordered = [words[-1], *words[1:-1], words[0]] if len(words) > 1 else words
    return "".join(_word_key(word) for word in ordered)[:255]


def text_sort_key(text: str) -> str:
    """Any Vietnamese text (unit and course names) in letter order, word by word."""
    return "".join(_word_key(word) for word in text.split())


def level_name(level: str) -> str:
    """A unit level's name (post-2025 wording, LMS_LEVEL_LABELS), for templates."""
    from lms.org.labels import level_name as name
    return name(level)


FILTERS = {"date_vi": date_vi, "datetime_vi": datetime_vi, "number_vi": number_vi,
           "decimal_vi": decimal_vi, "percent_vi": percent_vi, "level_name": level_name}
