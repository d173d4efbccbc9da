"""Question pools: a quiz that asks a few questions drawn from a larger set.

quiz.yml says how many questions an attempt asks, from all of them or per tag::

    draw: 15                          # 15 of the questions, or
    draw: {mat-khau: 2, lua-dao: 3}   # 2 tagged mat-khau and 3 tagged lua-dao

    questions:
      - id: mat-khau-manh
        tags: [mat-khau]
        ...

With a mapping every question carries exactly one of the drawn tags, so each
attempt asks exactly the stated number per tag. Each attempt draws anew and
prefers what the learner has seen least: first the questions seen fewest times
in the current validity window (since their latest completion), then those seen
fewest times in the previous window (a yearly refresher starts with what last
year's attempts did not ask), then those never shown in any attempt, then the
least recently shown (when the pool runs short, what was asked longest ago comes
back first), then at random. So, within a window, no question is asked a second
time before every question of its group has been asked once.

Everything here is pure; ``lms.learning.logic`` reads the learner's history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from random import Random
from typing import Any

from lms.learning.questions.base import SLUG, is_int


@dataclass
class Seen:
    """How many attempts showed each question id: in the learner's current validity
    window, and in the window before it; and when any attempt last showed it."""

    current: Counter[str] = field(default_factory=Counter)
    previous: Counter[str] = field(default_factory=Counter)
    last_shown: dict[str, datetime] = field(default_factory=dict)


def questions_per_attempt(quiz: dict[str, Any]) -> int:
    draw = quiz.get("draw")
    if isinstance(draw, dict):
        return sum(draw.values())
    return draw or len(quiz["questions"])


def draw_questions(quiz: dict[str, Any], rng: Random, seen: Seen | None = None
                   ) -> list[dict[str, Any]]:
    """The questions one attempt asks, in quiz.yml order (the caller shuffles)."""
    questions = quiz["questions"]
    draw = quiz.get("draw")
    if not draw:
        return list(questions)
    seen = seen or Seen()
    if isinstance(draw, dict):
        groups = [([q for q in questions if tag in q.get("tags", ())], count)
                  for tag, count in draw.items()]
    else:
        groups = [(list(questions), draw)]
    chosen: set[str] = set()
    for candidates, count in groups:
        ranked = sorted(candidates, key=lambda q: (
            seen.current[q["id"]], seen.previous[q["id"]],
            seen.last_shown.get(q["id"], datetime.min), rng.random()))
        chosen.update(q["id"] for q in ranked[:count])
    return [q for q in questions if q["id"] in chosen]


def check_draw(draw: Any, questions: list[dict[str, Any]],
               problem: Callable[..., None]) -> Any:
    """Problems with quiz.yml's ``draw`` (``problem(message, *path)``, a path in the
    file); the value to store (None: every question, every attempt)."""
    if draw is None:
        return None
    n = len(questions)
    if is_int(draw):
        if not 1 <= draw <= n:
            problem(f"'draw' must be a whole number from 1 to {n} (the questions in the "
                    "pool)", "draw")
            return None
        return draw
    if not isinstance(draw, dict) or not draw:
        problem("'draw' must be a number of questions, or a mapping of tag: number such as "
                "{mat-khau: 2, lua-dao: 3}", "draw")
        return None
    ok = True
    for tag, count in draw.items():
        if not isinstance(tag, str) or not SLUG.match(tag) or not is_int(count) or count < 1:
            problem(f"draw '{tag}: {count}': a tag (slug) and a whole number from 1",
                    "draw", tag)
            ok = False
            continue
        tagged = sum(1 for q in questions if tag in q.get("tags", ()))
        if tagged < count:
            problem(f"draw: {count} question(s) tagged '{tag}' per attempt, but only "
                    f"{tagged} carry that tag", "draw", tag)
            ok = False
    for i, question in enumerate(questions):
        drawn = [tag for tag in question.get("tags", ()) if tag in draw]
        if len(drawn) > 1:
            problem(f"question '{question['id']}' has two drawn tags ({', '.join(drawn)}): a "
                    "question counts for one tag of 'draw'", "questions", i, "tags")
            ok = False
        elif not drawn:
            problem(f"question '{question['id']}' has none of the drawn tags "
                    f"({', '.join(map(str, draw))}): it would never be asked",
                    "questions", i, "tags")
            ok = False
    return dict(draw) if ok else None
