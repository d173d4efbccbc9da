"""Queueing in bulk (lms/mail/bulk.py): what a recipient reads is exactly what one
rendering per message would have given, and a key is still queued once."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from lms.extensions import db
from lms.mail import logic as mail
from lms.mail.bulk import BulkQueue
from lms.mail.models import OutboxMessage
from lms.reminders.logic import Item

TODAY = date(2026, 3, 2)
ITEM = Item(course_id=1, title='An toàn "thông tin" & <dữ liệu>', slug="an-toan",
            event="due3", on=date(2026, 3, 4))
PEOPLE = [("Nguyễn Văn An", "an@example.vn", "https://h.vn/u/a?x=1&y=2"),
          ("Lê Thị <b>Bình</b> O'Hara", "binh@example.vn", "https://h.vn/u/b"),
          ("Trần  Cường\r\nBcc: evil@example.com", "cuong@example.vn", "https://h.vn/u/c")]


def shared():
    return {"item": ITEM, "course_url": "https://h.vn/courses/an-toan",
            "courses_url": "https://h.vn/my", "today": TODAY}


def bodies():
    db.session.expire_all()
    return {row.to_address: row for row in db.session.scalars(select(OutboxMessage))}


def test_bulk_messages_are_the_ones_rendered_one_by_one(app):
    bulk = BulkQueue(batch=2)
    for name, address, link in PEOPLE:
        bulk.add(f"bulk:{address}", address, "reminder", variant=("due3", 1), name=name,
                 personal={"unsubscribe_link": link}, **shared())
    bulk.flush()
    assert bulk.queued == 3
    assert bulk.rendered_variants == 1  # one Jinja rendering for three messages
    rows = bodies()
    for name, address, link in PEOPLE:
        alone = mail.render("reminder", name=mail.one_line(name), unsubscribe_link=link,
                            **shared())
        row = rows[address]
        assert (row.subject, row.text_body, row.html_body) == \
            (alone.subject, alone.text, alone.html)
    # Escaped where the template escapes, never twice, and no line break smuggled in.
    binh = rows["binh@example.vn"]
    assert "Lê Thị &lt;b&gt;Bình&lt;/b&gt; O&#39;Hara" in binh.html_body
    assert "Lê Thị <b>Bình</b> O'Hara" in binh.text_body
    assert 'href="https://h.vn/u/a?x=1&amp;y=2"' in rows["an@example.vn"].html_body
    assert "\x00" not in "".join(r.text_body + r.html_body for r in rows.values())
    assert "\n" not in rows["cuong@example.vn"].to_name


def test_a_key_already_in_the_outbox_is_not_queued_again(app):
    name, address, link = PEOPLE[0]
    assert mail.queue("bulk:once", address, "reminder", name=name, unsubscribe_link=link,
                      **shared())
    bulk = BulkQueue()
    for key in ("bulk:once", "bulk:new", "bulk:new"):
        bulk.add(key, address, "reminder", variant=1, name=name,
                 personal={"unsubscribe_link": link}, **shared())
    bulk.flush()
    db.session.commit()
    assert bulk.queued == 1
    keys = sorted(db.session.scalars(select(OutboxMessage.key)))
    assert keys == ["bulk:new", "bulk:once"]


def test_a_template_that_transforms_a_personal_field_is_rendered_per_message(app):
    # password_reset shows the link as given; a made-up field the template never
    # prints cannot be substituted, so the variant is rendered per message instead.
    bulk = BulkQueue()
    for index, (name, address, _link) in enumerate(PEOPLE[:2]):
        bulk.add(f"reset:{index}", address, "password_reset", variant="reset", name=name,
                 personal={"never_shown": "x"},
                 link=f"https://h.vn/reset/{index}", valid_minutes=60)
    bulk.flush()
    rows = bodies()
    assert "https://h.vn/reset/0" in rows["an@example.vn"].text_body
    assert "https://h.vn/reset/1" in rows["binh@example.vn"].text_body
    assert "Lê Thị <b>Bình</b> O'Hara" in rows["binh@example.vn"].text_body
