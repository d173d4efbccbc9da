"""Registers every feature's Flask CLI commands (`flask --app lms ...`)."""

from __future__ import annotations

from flask import Flask


def register_cli(app: Flask) -> None:
    from lms.auth.cli import users_cli
    from lms.backup import backup_command, restore_command
    from lms.community.cli import community_cli
    from lms.courses.cli import courses_cli
    from lms.demo import demo_command
    from lms.documents.cli import documents_cli
    from lms.mail.cli import mail_cli
    from lms.org.cli import (
        grant_command_factory,
        imports_cli,
        officials_cli,
        training_cli,
        units_cli,
    )
    from lms.reminders.cli import reminders_cli
    from lms.reports.cli import report_cli, tokens_cli

    grant_command_factory(users_cli)
    app.cli.add_command(report_cli)
    app.cli.add_command(tokens_cli)
    app.cli.add_command(units_cli)
    app.cli.add_command(officials_cli)
    app.cli.add_command(training_cli)
    app.cli.add_command(imports_cli)
    app.cli.add_command(courses_cli)
    app.cli.add_command(users_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(mail_cli)
    app.cli.add_command(reminders_cli)
    app.cli.add_command(community_cli)
    app.cli.add_command(documents_cli)
