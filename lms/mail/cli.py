from __future__ import annotations

import signal

import click
from flask import current_app
from flask.cli import AppGroup

from lms.mail import sender
from lms.mail.logic import outbox_status
from lms.mail.smtp import SmtpUrlError, parse_smtp_url
from lms.util.time import local_time_text

mail_cli = AppGroup("mail", help="The email outbox.")


def _summary(result: sender.RunResult) -> str:
    parts = [f"{result.sent} sent"]
    if result.retrying:
        parts.append(f"{result.retrying} to retry later")
    if result.failed:
        parts.append(f"{result.failed} failed")
    if result.undeliverable:
        parts.append(f"{result.undeliverable} address(es) marked undeliverable")
    text = ", ".join(parts) + "."
    if result.error:
        text += f" Stopped: {result.error} (the rest stays queued)."
    return text


@mail_cli.command("send")
@click.option("--watch", is_flag=True,
              help="Keep running: deliver new mail as it is queued (for systemd).")
@click.option("--interval", default=10.0, show_default=True, type=click.FloatRange(0.1, 3600),
              help="With --watch: seconds between looks at the outbox.")
@click.option("--batch", default=sender.BATCH, show_default=True,
              type=click.IntRange(1, 10_000), help="Messages claimed at a time.")
def send_command(watch: bool, interval: float, batch: int) -> None:
    """Deliver the messages that are due (retries included); never one twice."""
    try:
        if not watch:
            result = sender.send_due(batch)
            click.echo(_summary(result))
            if result.error:
                raise SystemExit(1)
            return
        stopping = []

        def stop_on_signal(_signum, _frame):
            stopping.append(True)

        signal.signal(signal.SIGTERM, stop_on_signal)
        signal.signal(signal.SIGINT, stop_on_signal)
        click.echo(f"Watching the outbox every {interval:g} s (SIGTERM or Ctrl-C stops).")

        def report(result: sender.RunResult) -> None:
            if result.claimed or result.error:
                click.echo(_summary(result))

        sender.watch(interval, stop=lambda: bool(stopping), report=report)
    except sender.NotConfigured as error:
        raise click.ClickException(str(error)) from None
    except (SmtpUrlError, ValueError) as error:
        raise click.ClickException(str(error)) from None


@mail_cli.command("status")
def status_command() -> None:
    """Queued, sent and failed messages, and the last error."""
    url = current_app.config.get("LMS_SMTP_URL")
    if url:
        try:
            click.echo(f"server: {parse_smtp_url(url).display}")
        except SmtpUrlError as error:
            click.echo(f"server: {error}")
    else:
        click.echo("server: not configured (LMS_SMTP_URL): mail waits in the outbox")
    status = outbox_status()
    oldest = f" (oldest queued {local_time_text(status.oldest_queued_at)})" \
        if status.oldest_queued_at else ""
    click.echo(f"queued: {status.queued}, of which due now: {status.due}{oldest}")
    click.echo(f"sent: {status.sent}")
    click.echo(f"failed: {status.failed}")
    click.echo(f"undeliverable addresses: {status.undeliverable}")
    if status.last_error:
        click.echo(f"last error: {local_time_text(status.last_error_at)} {status.last_error}")
    else:
        click.echo("last error: none")
