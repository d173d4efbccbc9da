"""Course Markdown to safe HTML.

Course files are trusted, but a typo must never become a script: whatever
Python-Markdown produces passes through an nh3 allowlist. Lessons are rendered
once at sync time and the HTML is stored, not rendered per request.

Pictures: every image is lazy-loaded and, when its file is an SVG in the course
folder with a ``viewBox``, gets that width and height (no layout shift while it
loads). A picture alone in its paragraph, followed on the next line by an
emphasised caption that starts with "Hình" becomes a figure::

    ![Màn hình chính với ba nút điều hướng](man-hinh-chinh.svg)
    *Hình 1. Màn hình chính: (1) thanh trạng thái, (2) biểu tượng ứng dụng.*
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from pathlib import Path

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s",
    "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    "mark", "small", "figure", "figcaption",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title", "width", "height", "loading", "decoding"},
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
    "figure": {"figure"},
    "a": {"footnote-ref", "footnote-backref"},
    "code": {f"language-{lang}" for lang in (
        "python", "bash", "sh", "shell", "text", "sql", "json", "yaml", "powershell", "console",
    )},
}
EXTENSIONS = ["tables", "fenced_code", "footnotes", "admonition", "sane_lists", "attr_list"]
CAPTION_START = "Hình"
VIEWBOX = re.compile(rb'<svg\b[^>]*?\bviewBox\s*=\s*["\']\s*[-\d.]+[\s,]+[-\d.]+[\s,]+'
                     rb'([\d.]+)[\s,]+([\d.]+)')


def svg_size(path: Path) -> tuple[int, int] | None:
    """The width and height of an SVG's viewBox (read from its first 2 KB)."""
    try:
        with path.open("rb") as file:
            head = file.read(2048)
    except OSError:
        return None
    match = VIEWBOX.search(head)
    if not match:
        return None
    width, height = (round(float(n)) for n in match.groups())
    return (width, height) if width > 0 and height > 0 else None


class _Pictures(Treeprocessor):
    """Lazy-loading, sized images; an image and its "Hình …" caption as a figure."""

    def __init__(self, md: markdown.Markdown, folder: Path | None) -> None:
        super().__init__(md)
        self.folder = folder

    def run(self, root: etree.Element) -> None:
        for img in root.iter("img"):
            img.set("loading", "lazy")
            img.set("decoding", "async")
            src = img.get("src", "")
            if (self.folder is not None and src.lower().endswith(".svg")
                    and "width" not in img.attrib and "://" not in src
                    and not src.startswith(("/", "\\"))):
                target = (self.folder / src).resolve()
                if target.is_relative_to(self.folder.resolve()):
                    size = svg_size(target)
                    if size:
                        img.set("width", str(size[0]))
                        img.set("height", str(size[1]))
        for parent in root.iter():
            for p in list(parent):
                if p.tag == "p" and self._is_figure(p):
                    img, em = list(p)
                    p.tag = "figure"
                    p.set("class", "figure")
                    p.text = None
                    img.tail = None
                    em.tag = "figcaption"
                    em.tail = None

    @staticmethod
    def _is_figure(p: etree.Element) -> bool:
        children = list(p)
        if len(children) != 2 or children[0].tag != "img" or children[1].tag != "em":
            return False
        img, em = children
        return (not (p.text or "").strip() and not (img.tail or "").strip()
                and not (em.tail or "").strip()
                and "".join(em.itertext()).strip().startswith(CAPTION_START))


class _PicturesExtension(Extension):
    def __init__(self, folder: Path | None) -> None:
        super().__init__()
        self.folder = folder

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        md.treeprocessors.register(_Pictures(md, self.folder), "lms_pictures", 5)


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


def render_markdown(text: str, folder: Path | None = None) -> str:
    """Sanitised HTML for a lesson's Markdown, without its leading '# Title'.
    ``folder`` is the course folder, where pictures' sizes are read."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.strip():
            if line.startswith("# "):
                lines = lines[i + 1 :]
            break
    html = markdown.markdown(
        "\n".join(lines),
        extensions=[*EXTENSIONS, _PicturesExtension(folder)],
        extension_configs={"footnotes": {"BACKLINK_TITLE": "Quay lại đoạn văn (chú thích %d)"}},
        output_format="html",
    )
    return sanitise(html)
