"""A lesson page, with all its CSS, JS and fonts, transfers at most 150 KB before
course images, measured from the browser's own network log on a cold cache."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import serious_violations, shot

CURRICULUM = Path(__file__).resolve().parents[2] / "courses"
BUDGET = 150 * 1000  # bytes on the wire: headers and bodies


@pytest.fixture
def e2e_courses(tmp_path) -> Path:
    """The real curriculum, so the heaviest real lesson is what gets weighed."""
    return shutil.copytree(CURRICULUM, tmp_path / "courses")


def heaviest_lesson() -> tuple[str, str]:
    lesson = max(CURRICULUM.glob("*/*.md"), key=lambda p: p.stat().st_size)
    return lesson.parent.name, lesson.stem.split("-", 1)[1]  # 03-slug.md -> slug


def test_the_heaviest_lesson_transfers_at_most_150_kb(phone, live_server):
    course, lesson = heaviest_lesson()
    transferred: dict[str, int] = {}

    def weigh(request):
        if f"/courses/{course}/files/" in request.url and request.resource_type == "image":
            return  # course images are outside the budget
        sizes = request.sizes()
        transferred[request.url] = sizes["responseBodySize"] + sizes["responseHeadersSize"]

    phone.on("requestfinished", weigh)
    response = phone.goto(f"{live_server.url}/courses/{course}/lessons/{lesson}")
    assert response.status == 200
    phone.wait_for_load_state("networkidle")
    shot(phone, "lesson-heaviest")
    total = sum(transferred.values())
    kinds = {url.split("?", 1)[0].rsplit("/", 1)[-1] or url: size  # fingerprinted: ?v=hash
             for url, size in transferred.items()}
    assert any(name.endswith(".css") for name in kinds), kinds  # the styles were counted
    assert total <= BUDGET, f"{total} bytes > {BUDGET}: {kinds}"
    print(f"lesson page weight: {total} bytes {kinds}")


def heaviest_illustrated_lesson() -> tuple[str, str]:
    """The lesson whose text and drawn figures together weigh most."""
    def weight(lesson: Path) -> int:
        text = lesson.read_text("utf-8")
        pictures = {ref for ref in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", text)}
        return len(text.encode()) + sum((lesson.parent / ref).stat().st_size for ref in pictures)

    illustrated = [p for p in CURRICULUM.glob("*/*.md") if "![" in p.read_text("utf-8")]
    lesson = max(illustrated, key=weight)
    return lesson.parent.name, lesson.stem.split("-", 1)[1]


def test_the_heaviest_illustrated_lesson_with_its_pictures_stays_within_150_kb(phone,
                                                                               live_server):
    # Pictures count here: scrolled to the end, every lazy figure has loaded.
    course, lesson = heaviest_illustrated_lesson()
    transferred: dict[str, int] = {}

    def weigh(request):
        sizes = request.sizes()
        transferred[request.url] = sizes["responseBodySize"] + sizes["responseHeadersSize"]

    phone.on("requestfinished", weigh)
    response = phone.goto(f"{live_server.url}/courses/{course}/lessons/{lesson}")
    assert response.status == 200
    figures = phone.locator("article figure img")
    assert figures.count() >= 1
    for i in range(figures.count()):
        figure = figures.nth(i)
        assert figure.get_attribute("loading") == "lazy"
        figure.scroll_into_view_if_needed()
        phone.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                arg=figure.element_handle())
    phone.wait_for_load_state("networkidle")
    shot(phone, "lesson-heaviest-illustrated")
    assert serious_violations(phone) == []  # figures, alt text and captions pass axe-core
    pictures = [url for url in transferred if f"/courses/{course}/files/" in url]
    assert len(pictures) == figures.count()
    total = sum(transferred.values())
    assert total <= BUDGET, f"{total} bytes > {BUDGET}: {transferred}"
    print(f"illustrated lesson page weight: {total} bytes, {len(pictures)} picture(s)")
