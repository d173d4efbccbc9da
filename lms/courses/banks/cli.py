"""``flask courses import-questions`` and ``flask courses export-questions``."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click
from flask import current_app

from lms.courses.banks.aiken import read_aiken
from lms.courses.banks.bank import Bank
from lms.courses.banks.gift import read_gift, write_gift
from lms.courses.banks.merge import ImportPlan, apply, plan_import
from lms.courses.banks.moodlexml import ExportError, read_moodle_xml, write_moodle_xml
from lms.courses.loader import SLUG, load_course

READERS: dict[str, Callable[[bytes, str], Bank]] = {
    "gift": read_gift, "aiken": read_aiken, "moodlexml": read_moodle_xml,
}
EXTENSIONS = {".gift": "gift", ".txt": "gift", ".xml": "moodlexml", ".aiken": "aiken"}
MAX_BANK_BYTES = 100 * 1024 * 1024
SHOWN = 200  # changes listed one by one; the rest are counted


def guess_format(path: Path) -> str | None:
    return EXTENSIONS.get(path.suffix.lower())


def course_folder(slug: str) -> Path:
    folder = Path(current_app.config["LMS_COURSES_DIR"]) / slug
    if not SLUG.match(slug) or not (folder / "course.yml").is_file():
        raise click.ClickException(f"no course '{slug}': {folder}/course.yml not found")
    return folder


def import_bank(path: Path, folder: Path, fmt: str, *, skip_unsupported: bool = False
                ) -> ImportPlan:
    """Read ``path`` in format ``fmt`` and plan its merge into ``folder``'s quiz.yml."""
    data = path.read_bytes()
    bank = READERS[fmt](data, str(path))
    return plan_import(folder, bank, skip_unsupported=skip_unsupported)


def register(group: click.Group) -> None:
    group.add_command(import_questions)
    group.add_command(export_questions)


@click.command("import-questions")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--course", "slug", required=True, help="The course folder's slug.")
@click.option("--format", "fmt", type=click.Choice(sorted(READERS)),
              help="Default: from the extension (.gift/.txt GIFT, .xml Moodle XML, .aiken).")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@click.option("--skip-unsupported", is_flag=True,
              help="Import the supported questions and list the others as skipped.")
def import_questions(file: Path, slug: str, fmt: str | None, dry_run: bool,
                     skip_unsupported: bool) -> None:
    """Write or merge a GIFT, Aiken or Moodle XML bank into a course's quiz.yml."""
    folder = course_folder(slug)
    fmt = fmt or guess_format(file)
    if fmt is None:
        raise click.ClickException(f"{file}: unknown extension; say --format "
                                   f"{'|'.join(sorted(READERS))}")
    if file.stat().st_size > MAX_BANK_BYTES:
        raise click.ClickException(f"{file}: larger than {MAX_BANK_BYTES // 2**20} MB")
    plan = import_bank(file, folder, fmt, skip_unsupported=skip_unsupported)
    if plan.problems:
        for problem in plan.problems:
            click.echo(str(problem))
        click.echo(f"{len(plan.problems)} problem(s): nothing was written.", err=True)
        if plan.unsupported:
            click.echo("Unsupported questions are listed above: import the others with "
                       "--skip-unsupported.", err=True)
        raise SystemExit(1)
    for problem in plan.skipped:
        click.echo(f"skipped: {problem}")
    for problem in plan.notes:
        click.echo(f"note: {problem}")
    shown = 0
    for change in plan.changes:
        if change.kind != "unchanged" and shown < SHOWN:
            sign = "+" if change.kind == "new" else "~"
            what = f": {', '.join(change.keys)}" if change.keys else ""
            click.echo(f"{sign} {change.id} ({change.question.line}: {change.question.name})"
                       f"{what}")
            shown += 1
    hidden = sum(1 for c in plan.changes if c.kind != "unchanged") - shown
    if hidden > 0:
        click.echo(f"... and {hidden} more")
    for name in plan.images:
        click.echo(f"+ images/{name}")
    for key, value in plan.settings.items():
        click.echo(f"quiz.yml: {key}: {value} (questions without an explanation: "
                   "`flask --app lms courses check --warnings` lists them)")
    if plan.rewritten:
        click.echo("note: quiz.yml is not a block list of questions, so it is written whole "
                   "(its comments are lost)")
    counts = (f"{plan.count('new')} new, {plan.count('changed')} changed, "
              f"{plan.count('unchanged')} unchanged, {len(plan.skipped)} skipped")
    if dry_run:
        click.echo(f"Dry run, nothing written. {plan.quiz_path}: {counts}.")
        return
    apply(plan)
    click.echo(f"Imported into {plan.quiz_path}: {counts}. Check with `flask --app lms "
               "courses check`, publish with `courses sync`.")


@click.command("export-questions")
@click.option("--course", "slug", required=True, help="The course folder's slug.")
@click.option("--format", "fmt", type=click.Choice(["gift", "moodlexml"]), required=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="The file to write ('-' for standard output).")
def export_questions(slug: str, fmt: str, output: Path) -> None:
    """Write a course's quiz questions as GIFT or Moodle XML, for Moodle to import."""
    folder = course_folder(slug)
    course, problems = load_course(folder)
    if problems or course is None:
        for problem in problems:
            click.echo(str(problem))
        raise click.ClickException("fix the course first (`flask --app lms courses check`)")
    if not course.quiz:
        raise click.ClickException(f"course '{slug}' has no quiz.yml")
    questions = course.quiz["questions"]
    try:
        if fmt == "gift":
            text = write_gift(questions, category=slug)
        else:
            text = write_moodle_xml(questions, category=slug, images_dir=folder / "images")
    except ExportError as error:
        raise click.ClickException(str(error)) from None
    if str(output) == "-":
        sys.stdout.write(text)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(f"Exported {len(questions)} question(s) to {output}.")
