"""A citizen's certificate says the name is self-declared until it is verified
(penetration test 2026-11: a made-up identity earned a certificate)."""

from __future__ import annotations

from lms.extensions import db
from lms.learning.logic import record_completion
from tests.builders import make_user


def test_a_citizens_certificate_says_tu_khai_until_the_name_is_verified(
        client, course, runner):
    citizen = make_user("citizen", email="dan@example.vn", name="Trần Thị Bình")
    completion = record_completion(citizen, course)
    db.session.commit()
    public = client.get(f"/verify/{completion.code}").get_data(as_text=True)
    assert "Trần Thị Bình (tự khai" in public
    result = runner.invoke(args=["users", "verify-name", "dan@example.vn"])
    assert result.exit_code == 0, result.output
    public = client.get(f"/verify/{completion.code}").get_data(as_text=True)
    assert "Trần Thị Bình" in public and "tự khai" not in public
    from lms.audit.models import AuditEvent
    assert db.session.query(AuditEvent).filter_by(action="account.verify_name").count() == 1


def test_an_officials_certificate_never_says_tu_khai(client, course):
    official = make_user("official", email="cb@example.vn", name="Lê Văn Cán")
    completion = record_completion(official, course)
    db.session.commit()
    assert "tự khai" not in client.get(f"/verify/{completion.code}").get_data(as_text=True)
