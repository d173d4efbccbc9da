"""Units: creating them with a correct materialised path."""

from __future__ import annotations

from sqlalchemy import select

from lms.extensions import db
from lms.org.models import LEVELS, Unit


def create_unit(code: str, name: str, level: str, parent: Unit | None = None) -> Unit:
    if level not in LEVELS:
        raise ValueError(f"unknown level {level!r}")
    unit = Unit(code=code, name=name, level=level, parent=parent)
    db.session.add(unit)
    db.session.flush()
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    db.session.flush()
    return unit


def communes() -> list[Unit]:
    """Units a citizen or business may say they live or work in."""
    return list(
        db.session.scalars(select(Unit).where(Unit.level == "commune").order_by(Unit.name))
    )
