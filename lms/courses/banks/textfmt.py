"""Text helpers for question banks: ids, numbers, and HTML to quiz text.

Quiz text is plain text in which a Markdown image ``![alt](images/NAME)`` may
appear (an imported picture saved in the course's ``images/``). Imported HTML
(GIFT ``[html]``, Moodle XML ``format="html"``) is first sanitised with nh3, with
the lessons' allowlist, then reduced to that text: paragraphs become blank lines,
``<br>`` a new line, lists ``- item``, images Markdown images, and everything else
its text.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser

import nh3

from lms.courses.rendering import ALLOWED_ATTRIBUTES, ALLOWED_TAGS
from lms.util.text import fold

ID_LIMIT = 60
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\r\f\v]+")
# Real markup, not "x<y": a known tag, or an entity such as &amp; or &#39;.
_HTML_HINT = re.compile(
    r"</?(?:p|br|b|i|u|s|em|strong|img|div|span|ul|ol|li|a|sub|sup|table|tbody|thead|tr|td|th"
    r"|h[1-6]|pre|code|blockquote|hr|font|center|small|big|del|mark)\b[^<>]*>"
    r"|<!--|&(?:[a-zA-Z]+|#[0-9]+|#[xX][0-9a-fA-F]+);")


def slugify(text: str, limit: int = ID_LIMIT) -> str:
    """'Mật khẩu mạnh (1)' -> 'mat-khau-manh-1', at most ``limit`` characters."""
    slug = _NOT_SLUG.sub("-", fold(text)).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0] if "-" in slug[:limit] else slug[:limit]
    return slug.strip("-")


def exact_key(text: str) -> str:
    """A text with its spacing normalised (cheap: most re-imported texts match so)."""
    return " ".join(text.split())


def text_key(text: str) -> str:
    """Two texts that differ only in case, marks or spacing are the same question."""
    return fold(text)


def hash_id(text: str) -> str:
    return "q-" + hashlib.sha1(exact_key(text).encode("utf-8")).hexdigest()[:10]


def parse_number(text: str) -> Decimal | None:
    """A number as written in a bank; the Vietnamese decimal comma is accepted."""
    text = text.strip().replace(",", ".")
    if not text or not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def yaml_number(value: Decimal) -> int | float:
    """3 -> 3, 3.50 -> 3.5 (quiz.yml keeps numbers as YAML numbers)."""
    if value == value.to_integral_value():
        return int(value)
    return float(value.normalize())


def format_number(value: Decimal | int | float) -> str:
    """A number as GIFT and Moodle XML write it: 3, 3.5, 0.001 (never 1E-3)."""
    if not isinstance(value, Decimal):
        value = Decimal(str(value))
    text = format(value.normalize(), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def looks_like_html(text: str) -> bool:
    return bool(_HTML_HINT.search(text))


def sanitise_html(html: str) -> str:
    """The lessons' allowlist (lms/courses/rendering.py), without their URL rewriting."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        strip_comments=True,
        link_rel=None,
    )


BLOCKS = {"p", "div", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "table", "tr", "ul",
          "ol", "dl", "dt", "dd", "figure", "figcaption", "hr", "h1"}


class _TextWriter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[str | None] = []
        self.pre = 0
        self.external_images: list[str] = []

    def block(self) -> None:
        self.out.append("\n\n")

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = dict(attrs)
        if tag in BLOCKS:
            self.block()
            if tag == "pre":
                self.pre += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in ("td", "th"):
            self.out.append(" ")
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag == "code" and not self.pre:
            self.out.append("`")
        elif tag == "img":
            src = (attributes.get("src") or "").strip()
            alt = " ".join((attributes.get("alt") or "").split()).replace("]", "")
            if src.startswith("images/"):
                self.out.append(f"![{alt}]({src})")
            else:
                self.external_images.append(src)
                if alt:
                    self.out.append(alt)
        elif tag == "a":
            href = (attributes.get("href") or "").strip()
            self.links.append(href if href.startswith(("http://", "https://")) else None)
            if self.links[-1]:
                self.out.append("[")

    def handle_endtag(self, tag: str) -> None:
        if tag in BLOCKS:
            if tag == "pre":
                self.pre = max(0, self.pre - 1)
            self.block()
        elif tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag == "code" and not self.pre:
            self.out.append("`")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href:
                self.out.append(f"]({href})")

    def handle_startendtag(self, tag: str, attrs) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.out.append(data if self.pre else _SPACES.sub(" ", data.replace("\n", " ")))


def html_to_text(html: str) -> tuple[str, list[str]]:
    """Sanitised HTML reduced to quiz text, and the external images it dropped."""
    if "<" not in html and "&" not in html:  # no markup: only its spaces to collapse
        return " ".join(html.split()), []
    writer = _TextWriter()
    writer.feed(sanitise_html(html))
    writer.close()
    text = "".join(writer.out).replace("\xa0", " ")
    lines = [line.strip() for line in text.split("\n")]
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
    # Empty emphasis left by the reduction (<b> </b>) is noise.
    text = text.replace("****", "").strip()
    return text, writer.external_images


def plain(text: str) -> str:
    """Text lines stripped, runs of blank lines collapsed."""
    if "\n" not in text and "\r" not in text:
        return text.strip()
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
