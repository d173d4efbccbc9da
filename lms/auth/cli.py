from __future__ import annotations

import click
from flask.cli import AppGroup

from lms.auth import logic
from lms.extensions import db

users_cli = AppGroup("users", help="Manage accounts.")


@users_cli.command("deactivate")
@click.argument("identifier")
def deactivate(identifier: str) -> None:
    """Close the account of IDENTIFIER (email, phone or employee code) and end its sessions."""
    try:
        user = logic.deactivate(identifier)
    except logic.AccountError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"{user.full_name} can no longer sign in; their sessions have ended.")


@users_cli.command("verify-name")
@click.argument("identifier")
def verify_name(identifier: str) -> None:
    """Confirm a learner's name against an identity document seen in person: their
    certificates stop saying "tự khai" (self-declared)."""
    from lms.audit import logic as audit
    from lms.util.time import utcnow

    user = logic.find_by_identifier(identifier)
    if user is None:
        raise click.ClickException(f"no account {identifier!r}")
    user.name_verified_at = utcnow()
    audit.record("account.verify_name", target=f"{user.full_name} ({identifier})",
                 detail={"user": user.id, "name": user.full_name})
    db.session.commit()
    click.echo(f"{user.full_name}: name verified; certificates no longer say self-declared.")


@users_cli.command("create-admin")
@click.argument("email")
@click.option("--name", default="Quản trị hệ thống", help="Full name shown in the app.")
@click.password_option(help="Asked for when not given (hidden, twice).")
def create_admin(email: str, name: str, password: str) -> None:
    """Create the first province administrator."""
    try:
        user = logic.create_user(full_name=name, role="admin", password=password, email=email)
    except logic.AccountError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"Admin created: {user.email}")


@users_cli.command("reset-2fa")
@click.argument("identifier")
def reset_two_factor(identifier: str) -> None:
    """Remove the second factor of IDENTIFIER (lost phone and recovery codes) and end
    its sessions; admins and HR officers set it up again at their next sign-in."""
    from lms.auth import twofactor

    user = logic.find_by_identifier(identifier)
    if user is None:
        raise click.ClickException(f"No account '{identifier}'.")
    had = twofactor.reset(user)
    db.session.commit()
    if had:
        click.echo(f"Two-factor of {user.full_name} reset; their sessions have ended.")
    else:
        click.echo(f"{user.full_name} had no two-factor set up; their sessions have ended.")
