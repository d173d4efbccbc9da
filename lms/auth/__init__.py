"""Accounts: registration, login, passwords, roles."""

from lms.auth.views import bp

__all__ = ["bp"]
