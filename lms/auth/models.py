from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.org.models import Unit
from lms.util.time import utcnow

ROLES = ("admin", "unit_manager", "official", "citizen", "business", "province_reviewer",
         "community_helper")
# A member of a commune's community digital team (tổ công nghệ số cộng đồng, lms/community):
# scoped like a unit manager, by ``unit_id`` (the commune, no subtree).
# Who reviews classroom training records for the province (lms/review): admins, and
# province reviewers, who see the review queue and the evidence but none of HR's pages.
REVIEW_ROLES = ("admin", "province_reviewer")
# Who may tick "Ghi nhớ đăng nhập": learners. Admins and HR officers see personal data
# of whole units, so their sessions always end after the idle and age limits.
REMEMBER_ROLES = ("official", "citizen", "business")
# Whose name is as they typed it until someone who saw an identity document confirms it
# (``name_verified_at``): their certificates say so ("tự khai").
SELF_DECLARED_ROLES = ("citizen", "business")
BUSINESS_TYPES = ("enterprise", "cooperative", "household")


class ActivationToken(db.Model):
    """A one-time link (valid 7 days) on which an official chooses a password."""

    __tablename__ = "activation_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    # Only a hash is stored: a database leak does not leak working links.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(255), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    # None until the person chooses one (officials are activated by HR).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), index=True)
    # Scope of a unit manager; the commune of a citizen or business.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    tax_code: Mapped[str | None] = mapped_column(String(20))
    business_type: Mapped[str | None] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(default=True)
    # Bumped to end every session of the user (password change, deactivation).
    session_version: Mapped[int] = mapped_column(default=1)
    # Changes with every write to this learner's own rows (lms/learning/versions.py):
    # their pages are kept under it (lms/http_cache.learner_page).
    data_version: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    consent_at: Mapped[datetime | None]
    consent_version: Mapped[str | None] = mapped_column(String(20))
    # When a link mailed to ``email`` was followed (lms/recovery): self-registered
    # learners are reminded until then; a password reset by email sets it too.
    email_verified_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Set when the learner asked for deletion: personal fields are blanked, the
    # row stays so completions (and so the aggregate figures) stay right.
    anonymised_at: Mapped[datetime | None]
    # "Tài khoản của tôi" (lms/account): reminders "each", "weekly" (a summary) or "off";
    # None is the default for the role (see lms.account.logic.reminder_choice).
    reminders: Mapped[str | None] = mapped_column(String(10))
    # A new email address waiting for its owner to confirm it; the old one is used
    # (and signs in) until then.
    pending_email: Mapped[str | None] = mapped_column(String(255))
    # When someone who saw an identity document confirmed the name (an admin or HR
    # officer: `users verify-name`). Until then a citizen's or business's certificate
    # says the name is self-declared ("tự khai").
    name_verified_at: Mapped[datetime | None]

    @property
    def name_self_declared(self) -> bool:
        return self.role in SELF_DECLARED_ROLES and self.name_verified_at is None
    pending_email_at: Mapped[datetime | None]

    unit: Mapped[Unit | None] = relationship()
    official = relationship("Official", back_populates="user", uselist=False)

    def get_id(self) -> str:
        # The session carries the version, so bumping it logs the user out everywhere.
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def can_manage(self) -> bool:
        """Admins and unit HR officers see the organisation pages."""
        return self.role in ("admin", "unit_manager")

    @property
    def can_review(self) -> bool:
        """Admins and province reviewers verify or reject classroom training records."""
        return self.role in REVIEW_ROLES

    @property
    def audience(self) -> str:
        """The course audience this account learns as."""
        if self.role == "business":
            return "business"
        if self.role == "citizen":
            return "citizen"
        if self.role == "community_helper":  # a commune team member: official or citizen
            return "official" if self.official is not None else "citizen"
        return "official"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class RememberToken(db.Model):
    """One browser kept signed in by "Ghi nhớ đăng nhập" (see lms/auth/remember.py).

    The browser's cookie holds ``selector`` and a random secret; only the secret's
    SHA-256 is stored, so a database leak signs nobody in. The token, not the cookie,
    decides how long the browser stays signed in: it ends at ``expires_at`` (sign-in
    plus LMS_REMEMBER_DAYS, never extended), when revoked, or when the user's
    ``session_version`` moves on.
    """

    __tablename__ = "remember_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # Random, says which row to check; it is no secret and holds no user id.
    selector: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    # The hash before the last rotation: a browser's own requests racing with the
    # rotation are told apart from a stolen copy for a few seconds only.
    previous_secret_hash: Mapped[str | None] = mapped_column(String(64))
    # The user's session_version at sign-in: ending all sessions ends the token too.
    session_version: Mapped[int]
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # What the devices page shows: from the User-Agent at sign-in ("Chrome", "Android").
    browser: Mapped[str | None] = mapped_column(String(40))
    platform: Mapped[str | None] = mapped_column(String(40))
    last_address: Mapped[str | None] = mapped_column(String(64))
