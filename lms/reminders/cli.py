from __future__ import annotations

from datetime import date

import click
from flask.cli import AppGroup

from lms.extensions import db
from lms.reminders.logic import send_reminders
from lms.util.time import local_today

reminders_cli = AppGroup("reminders", help="Reminders to learners and managers' digests.")


@reminders_cli.command("send")
@click.option("--today", "today_text", metavar="YYYY-MM-DD",
              help="The day to compute for (default: today).")
def send_command(today_text: str | None) -> None:
    """Queue the reminders and weekly digests due today (run daily); running it twice
    queues nothing new. `flask mail send` delivers them."""
    if today_text:
        try:
            today = date.fromisoformat(today_text)
        except ValueError:
            raise click.BadParameter("use YYYY-MM-DD", param_hint="--today") from None
    else:
        today = local_today()
    # Committed batch by batch: see send_reminders.
    result = send_reminders(today, checkpoint=db.session.commit)
    db.session.commit()
    click.echo(f"{today.isoformat()}: {result.reminders} reminder(s), {result.summaries} "
               f"weekly summary(ies), {result.digests} digest(s) queued "
               f"({result.learners} learner(s) with something due).")
