"""Accounts: registration, login, passwords, roles."""
