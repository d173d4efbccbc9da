"""Course Markdown to safe HTML.

Course files are trusted, but a typo must never become a script: whatever
Python-Markdown produces passes through an nh3 allowlist. Lessons are rendered
once at sync time and the HTML is stored, not rendered per request.
"""

from __future__ import annotations

import markdown
import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    "mark", "small", "figure", "figcaption",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align", "colspan", "rowspan"},
    "th": {"align", "colspan", "rowspan", "scope"},
    "sup": {"id"},
    "li": {"id"},
    "ol": {"start"},
    "abbr": {"title"},
}
ALLOWED_CLASSES = {
    "div": {"admonition", "note", "tip", "warning", "danger", "important", "caution",
            "footnote", "hint", "attention"},
    "p": {"admonition-title"},
    "a": {"footnote-ref", "footnote-backref"},
    "code": {f"language-{lang}" for lang in (
        "python", "bash", "sh", "shell", "text", "sql", "json", "yaml", "powershell", "console",
    )},
}
EXTENSIONS = ["tables", "fenced_code", "footnotes", "admonition", "sane_lists", "attr_list"]


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        # Images live in the course folder; lesson URLs are /courses/<slug>/lessons/<x>,
        # so a relative ../files/ path works wherever the app is mounted.
        if "://" in value or value.startswith(("/", "data:", "\\")):
            return None
        return "../files/" + value.lstrip("./")
    return value


def sanitise(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
        attribute_filter=_attribute_filter,
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Sanitised HTML for a lesson's Markdown, without its leading '# Title'."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip():
            if line.startswith("# "):
                lines = lines[i + 1 :]
            break
    html = markdown.markdown(
        "\n".join(lines),
        extensions=EXTENSIONS,
        extension_configs={"footnotes": {"BACKLINK_TITLE": "Quay lại đoạn văn (chú thích %d)"}},
        output_format="html",
    )
    return sanitise(html)
