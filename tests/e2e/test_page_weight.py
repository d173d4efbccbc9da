"""A lesson page, with all its CSS, JS and fonts, transfers at most 150 KB before
course images, measured from the browser's own network log on a cold cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.conftest import shot

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
