"""`users grant … community_helper --unit`, `community population` and `community coverage`."""

from __future__ import annotations

import json

from sqlalchemy import select

from lms.auth.models import User
from lms.community.models import CommunePopulation
from lms.extensions import db
from tests.builders import csv_bytes, load_units, make_user


def test_grant_needs_a_commune_and_scopes_the_helper_to_it(runner, app):
    load_units()
    make_user("citizen", phone="0988000001")
    refused = runner.invoke(args=["users", "grant", "0988000001", "community_helper",
                                  "--unit", "SNV"])
    assert refused.exit_code != 0 and "MÃ_XÃ" in refused.output
    result = runner.invoke(args=["users", "grant", "0988000001", "community_helper",
                                 "--unit", "X1"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.phone == "0988000001"))
    assert user.role == "community_helper" and user.unit.code == "X1"
    assert user.audience == "citizen"  # a citizen helper still learns citizens' courses


def test_population_then_coverage_from_the_command_line(runner, app, tmp_path):
    load_units()
    data = tmp_path / "dan-so.csv"
    data.write_bytes(csv_bytes([["Mã đơn vị", "Năm", "Số người trưởng thành", "Nguồn số liệu"],
                                ["X1", "2026", "1.250", "Niên giám"],
                                ["X2", "2026", "800", "Niên giám"]]))
    dry = runner.invoke(args=["community", "population", str(data), "--dry-run"])
    assert dry.exit_code == 0 and "nothing written" in dry.output
    assert db.session.scalar(select(CommunePopulation.id)) is None
    assert runner.invoke(args=["community", "population", str(data)]).exit_code == 0
    out = tmp_path / "bao-phu.json"
    result = runner.invoke(args=["community", "coverage", "--unit", "NA", "--format", "json",
                                 "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = {r["unit_code"]: r for r in json.loads(out.read_text("utf-8"))["rows"]}
    assert rows["NA"]["adults"] == 2050 and rows["X1"]["population_year"] == 2026
    bad = tmp_path / "sai.csv"
    bad.write_bytes(csv_bytes([["Mã đơn vị", "Năm", "Số người trưởng thành", "Nguồn số liệu"],
                               ["KHONG-CO", "2026", "5", "x"]]))
    failed = runner.invoke(args=["community", "population", str(bad)])
    assert failed.exit_code != 0 and "dòng 2" in failed.output
