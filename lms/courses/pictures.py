"""Is a course's SVG picture safe and small? (`courses check` and the curriculum test.)

An SVG is a document that can carry script, load other files and embed HTML. A
lesson shows it as an ``<img>`` (where none of that runs) and the files route
serves it sandboxed, but a picture should not need either protection: only shapes
and text, nothing fetched, nothing that runs.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

MAX_SVG_BYTES = 12 * 1000  # a drawn figure is 2-6 KB; more means a pasted bitmap or a tool's junk
FORBIDDEN_ELEMENTS = {"script", "foreignobject", "iframe", "embed", "object", "image",
                      "audio", "video", "canvas", "handler", "listener", "set", "animate"}
EXTERNAL_CSS = re.compile(r"@import|url\(\s*['\"]?(?!#)", re.IGNORECASE)


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1].lower()


def svg_problem(path: Path) -> str | None:
    """Why the SVG at ``path`` is not acceptable as a course picture, or None."""
    data = path.read_bytes()
    if len(data) > MAX_SVG_BYTES:
        return (f"{len(data) // 1000} KB is too large for a drawn SVG figure "
                f"(at most {MAX_SVG_BYTES // 1000} KB)")
    if re.search(rb"<!(DOCTYPE|ENTITY)", data, re.IGNORECASE):
        return "must not declare a DOCTYPE or entities"
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        return f"is not well-formed XML ({error})"
    if _local(root.tag) != "svg":
        return "is not an SVG (its root element is not <svg>)"
    if not root.get("viewBox"):
        return "needs a viewBox (it sets the picture's size and lets it scale)"
    for element in root.iter():
        tag = _local(element.tag)
        if tag in FORBIDDEN_ELEMENTS:
            return f"must not contain <{tag}> (only shapes and text)"
        for name, value in element.attrib.items():
            attribute = _local(name)
            if attribute.startswith("on"):
                return f"must not have event attributes ({attribute} on <{tag}>)"
            if attribute == "href" and not value.startswith("#"):
                return f"must not link or load anything ({attribute}=\"{value}\" on <{tag}>)"
            if attribute == "style" and EXTERNAL_CSS.search(value):
                return f"must not load anything from its styles (<{tag}> style)"
        if tag == "style" and EXTERNAL_CSS.search(element.text or ""):
            return "must not load anything from its <style>"
    return None
