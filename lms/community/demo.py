"""The demo's commune team (called by lms/demo.py): Nghi Lộc's team with a helper who
signs in, a class held last week, and adult population figures of two communes."""

from __future__ import annotations

from datetime import date, timedelta

from lms.auth.models import User
from lms.community.models import (
    ClassAttendance,
    CommunePopulation,
    CommunityClass,
    TeamMember,
)
from lms.extensions import db
from lms.org.models import Unit

TEAM_COMMUNE = "NA-X-NGHILOC"
# Adults (18 and over) by commune: a figure as a commune would import it.
POPULATION = {"NA-X-NGHILOC": (14_250, "UBND xã Nghi Lộc, số liệu dân cư"),
              "NA-X-CONCUONG": (9_800, "UBND xã Con Cuông, số liệu dân cư")}


def load_community_demo(units: dict[str, Unit], accounts: dict[str, User], today: date) -> None:
    commune = units[TEAM_COMMUNE]
    helper = accounts["community_helper"]
    db.session.add_all([
        TeamMember(unit_id=commune.id, full_name=helper.full_name, phone=helper.phone,
                   team_role="leader", user_id=helper.id),
        TeamMember(unit_id=commune.id, full_name="Trần Văn Đoàn (đoàn thanh niên)",
                   phone="0912000010", team_role="member"),
    ])
    for code, (adults, source) in POPULATION.items():
        db.session.add(CommunePopulation(unit_id=units[code].id, year=today.year - 1,
                                         adults=adults, source=source))
    held = CommunityClass(unit_id=commune.id, held_on=today - timedelta(days=7),
                          place="Nhà văn hóa xóm 5", topic="Cài đặt và dùng VNeID",
                          helper_id=helper.id)
    db.session.add(held)
    db.session.flush()
    citizen = accounts.get("citizen")
    if citizen is not None and citizen.unit_id == commune.id:
        db.session.add(ClassAttendance(class_id=held.id, user_id=citizen.id))
    db.session.flush()
