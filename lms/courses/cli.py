from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from lms.courses.loader import check_courses
from lms.courses.sync import CourseProblems, sync_courses
from lms.extensions import db
from lms.learning.requirements import refresh_requirements
from lms.util.time import local_today

courses_cli = AppGroup("courses", help="Check and load the Markdown courses.")


def _root(path: str | None) -> Path:
    return Path(path or current_app.config["LMS_COURSES_DIR"])


@courses_cli.command("check")
@click.argument("path", required=False)
@click.option("--warnings", "show_warnings", is_flag=True,
              help="Also list what is allowed but worth a look (file:line: warning: ...), "
                   "such as imported questions without an explanation.")
@click.option("--strict", is_flag=True,
              help="Exit with status 1 when there is any warning (currency or --warnings "
                   "kind), not only on problems. For CI and before publishing.")
def check_command(path: str | None, show_warnings: bool, strict: bool) -> None:
    """Validate every course folder; print file:line: problem for each error.

    Currency warnings (review date, sources, '## Nguồn', superseded documents) are
    always printed, as file:line: currency: ..."""
    result = check_courses(_root(path), today=local_today())
    if show_warnings or strict:
        for warning in result.warnings:
            click.echo(f"{warning.file}:{warning.line}: warning: {warning.message}")
    for finding in result.currency:
        click.echo(f"{finding.file}:{finding.line}: currency: {finding.message}")
    for problem in result.problems:
        click.echo(str(problem))
    if result.problems:
        click.echo(f"{len(result.problems)} problem(s) found.", err=True)
        raise SystemExit(1)
    lessons = sum(len(c.lessons) for c in result.courses)
    quizzes = sum(1 for c in result.courses if c.quiz)
    click.echo(f"OK: {len(result.courses)} course(s), {lessons} lesson(s), {quizzes} quiz(zes).")
    if result.currency:
        click.echo(f"{len(result.currency)} currency warning(s): the content may be out of "
                   "date (see above).")
    if result.warnings and not (show_warnings or strict):
        click.echo(f"{len(result.warnings)} warning(s): see them with --warnings.")
    if strict and (result.warnings or result.currency):
        click.echo("Warnings found (--strict).", err=True)
        raise SystemExit(1)


@courses_cli.command("sync")
@click.argument("path", required=False)
def sync_command(path: str | None) -> None:
    """Load the courses folder into the database (safe to run again)."""
    try:
        report = sync_courses(_root(path))
    except CourseProblems as error:
        db.session.rollback()
        for problem in error.check.problems:
            click.echo(str(problem))
        click.echo("Nothing was synced: fix the problems above first.", err=True)
        raise SystemExit(1) from None
    # New or changed rules start the due-date clock for the officials they now match.
    refresh_requirements(local_today())
    db.session.commit()
    for label, slugs in (("created", report.created), ("updated", report.updated),
                         ("unpublished", report.unpublished)):
        for slug in slugs:
            click.echo(f"{label}: {slug}")
    click.echo(
        f"Synced: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged, {len(report.unpublished)} unpublished."
    )


@courses_cli.command("pack")
@click.argument("slug")
@click.option("-o", "--output", "output", required=True, type=click.Path(dir_okay=False),
              help="The zip file to write (e.g. ky-nang-so.zip).")
def pack_command(slug: str, output: str) -> None:
    """Write a published course as static HTML in a zip (at most 1 MB), for learning
    rooms without internet: unzip and open index.html (lms/offline/pack.py)."""
    from sqlalchemy import select

    from lms.courses.models import Course
    from lms.offline.pack import PackTooLarge, build_pack

    course = db.session.scalar(select(Course).where(Course.slug == slug,
                                                    Course.is_published.is_(True)))
    if course is None:
        click.echo(f"{slug}: no published course with this slug (run `flask courses sync`?).",
                   err=True)
        raise SystemExit(1)
    try:
        pack = build_pack(course)
    except PackTooLarge as error:
        click.echo(f"{slug}: {error}", err=True)
        raise SystemExit(1) from None
    Path(output).write_bytes(pack.data)
    click.echo(f"Wrote {output}: {len(pack.data) // 1024} KB, {course.title}.")


# Question banks (GIFT, Aiken, Moodle XML): import-questions and export-questions.
from lms.courses.banks.cli import register as _register_banks  # noqa: E402

_register_banks(courses_cli)
