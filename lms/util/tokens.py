"""Secrets handed to people (links, API tokens, remembered browsers) are stored
only as their SHA-256: a copy of the database opens nothing."""

from __future__ import annotations

import hashlib


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
