"""Uploads previewed but never confirmed do not stay for ever: they expire after 24
hours, a daily command deletes the expired ones, and each user keeps at most five.

Pen test 2026-11: every preview left its file in pending_imports with no end, so an
HR account could fill the database by uploading 20 MB files without confirming.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select, update

from lms.auth.models import User
from lms.extensions import db
from lms.org import pending
from lms.org.models import PendingImport
from lms.util.time import utcnow
from tests.builders import ROSTER_HEADER, csv_bytes
from tests.conftest import csrf_token
from tests.org.test_views import as_user, officials_count, province, upload  # noqa: F401


def roster(code: str = "CB900") -> bytes:
    return csv_bytes([ROSTER_HEADER, [code, "Võ Thị Giang", "SNV", "viên chức"]])


def preview(client, data: bytes) -> str:
    page = upload(client, "officials", data).get_data(as_text=True)
    return re.search(r'action="/imports/confirm/([^"]+)"', page).group(1)


def confirm(client, token: str):
    return client.post(f"/imports/confirm/{token}", data={"csrf_token": csrf_token(client)},
                       follow_redirects=True)


def waiting(user_id: int | None = None) -> int:
    query = select(func.count(PendingImport.id))
    if user_id is not None:
        query = query.where(PendingImport.user_id == user_id)
    return db.session.scalar(query)


def age(token: str, hours: float) -> None:
    db.session.execute(update(PendingImport).where(PendingImport.token == token)
                       .values(created_at=utcnow() - timedelta(hours=hours)))
    db.session.commit()


def user_id(email: str) -> int:
    return db.session.scalar(select(User.id).where(User.email == email))


def test_an_upload_confirmed_within_24_hours_imports(app, province):  # noqa: F811
    hr = as_user(app, "hr@snv.vn")
    token = preview(hr, roster())
    age(token, 23.5)
    page = confirm(hr, token).get_data(as_text=True)
    assert "Đã nhập 1 dòng" in page
    assert waiting() == 0


def test_an_expired_upload_says_so_and_is_deleted(app, province):  # noqa: F811
    hr = as_user(app, "hr@snv.vn")
    before = officials_count()
    token = preview(hr, roster())
    age(token, 24.5)
    page = confirm(hr, token).get_data(as_text=True)
    assert "Tệp đã hết hạn, hãy tải lên lại (tệp chờ xác nhận được giữ 24 giờ)." in page
    assert officials_count() == before
    assert waiting() == 0
    # Confirming it again: it is gone.
    assert "Không tìm thấy tệp chờ xác nhận" in confirm(hr, token).get_data(as_text=True)


def test_purge_deletes_only_expired_uploads_and_prints_how_many(app, province, runner):  # noqa: F811
    hr, admin = user_id("hr@snv.vn"), user_id("admin@example.vn")
    now = utcnow()
    for number, (owner, hours) in enumerate(
            ((hr, 30), (hr, 25), (admin, 24 * 7), (hr, 1), (admin, 23))):
        db.session.add(PendingImport(token=f"t{number}", user_id=owner, kind="officials",
                                     filename="roster.csv", content=roster(),
                                     created_at=now - timedelta(hours=hours)))
    db.session.commit()
    result = runner.invoke(args=["imports", "purge-pending"])
    assert result.exit_code == 0, result.output
    assert result.output == "Deleted 3 expired pending upload(s) (older than 24 hours).\n"
    db.session.expire_all()
    assert waiting(hr) == 1 and waiting(admin) == 1
    again = runner.invoke(args=["imports", "purge-pending"])
    assert again.output.startswith("Deleted 0 expired")


def test_a_user_keeps_at_most_five_uploads_the_newest(app, province):  # noqa: F811
    hr = as_user(app, "hr@snv.vn")
    admin = as_user(app, "admin@example.vn")
    admins = preview(admin, roster("CB800"))
    tokens = [preview(hr, roster(f"CB90{i}")) for i in range(7)]
    assert waiting(user_id("hr@snv.vn")) == pending.PENDING_PER_USER == 5
    assert waiting(user_id("admin@example.vn")) == 1  # another user's are not touched
    for token in tokens[:2]:  # the oldest two are gone
        assert "Không tìm thấy tệp chờ xác nhận" in confirm(hr, token).get_data(as_text=True)
    assert "Đã nhập 1 dòng" in confirm(hr, tokens[-1]).get_data(as_text=True)
    assert "Đã nhập 1 dòng" in confirm(admin, admins).get_data(as_text=True)


def test_the_cap_drops_expired_uploads_first(app, province):  # noqa: F811
    owner = user_id("hr@snv.vn")
    now = utcnow()
    old = pending.stash_upload(owner, "officials", "old.csv", roster(),
                               now=now - timedelta(hours=48))
    recent = [pending.stash_upload(owner, "officials", f"{i}.csv", roster(),
                                   now=now - timedelta(hours=i)) for i in range(4, 0, -1)]
    db.session.commit()
    newest = pending.stash_upload(owner, "officials", "new.csv", roster(), now=now)
    db.session.commit()
    kept = set(db.session.scalars(select(PendingImport.token)
                                  .where(PendingImport.user_id == owner)))
    assert kept == {*recent, newest}
    assert old not in kept
