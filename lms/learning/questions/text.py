"""Question text on the quiz and result pages.

quiz.yml text is plain text in which Markdown is understood: emphasis, lists, links,
line breaks between paragraphs and pictures from the course's ``images/``
(``![sơ đồ](images/so-do.png)``, checked by `courses check` like a lesson's). It is
sanitised with the lessons' allowlist (lms/courses/rendering.py) and kept rendered
per process: the same few hundred texts are shown again and again.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import markdown
import nh3
from markupsafe import Markup

from lms.courses.rendering import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from lms.learning.questions.base import field_name


@lru_cache(maxsize=4096)
def question_html(text: str, files_url: str) -> tuple[Markup, bool]:
    """``text`` as safe HTML, images served from ``files_url`` (the course's
    ``/courses/<slug>/files/``); and whether it is one paragraph (then without its
    ``<p>``, to sit in the question's legend)."""

    def attribute(tag: str, name: str, value: str) -> str | None:
        if tag == "img" and name == "src":
            if "://" in value or value.startswith(("/", "data:", "\\")):
                return None
            return files_url + value.lstrip("./")
        return value

    html = nh3.clean(
        markdown.markdown(text, extensions=["sane_lists"], output_format="html"),
        tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"}, link_rel="noopener noreferrer",
        attribute_filter=attribute, strip_comments=True,
    ).strip()
    inline = html.startswith("<p>") and html.endswith("</p>") and html.count("<p>") == 1
    return Markup(html[3:-4] if inline else html), inline


def page_items(questions: list[dict[str, Any]], files_url: str,
               responses: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """What the quiz page renders for each question of an attempt: its number, the
    snapshot ``q``, its field ``name``, its text as HTML, its type's template, the
    type's own context, and the ``response`` already given (``responses``, as parsed:
    the page shown again before a submission with blanks keeps every answer) and
    whether it is ``answered``."""
    from lms.learning.questions import question_type

    responses = responses or {}
    items = []
    for number, question in enumerate(questions, start=1):
        kind = question_type(question["type"])
        text, inline = question_html(question["text"], files_url)
        response = responses.get(question["id"])
        items.append({"number": number, "q": question, "name": field_name(question),
                      "text": text, "inline": inline, "template": kind.template,
                      "response": response, "answered": kind.answered(question, response),
                      **kind.context(question)})
    return items
