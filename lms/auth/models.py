from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.org.models import Unit
from lms.util.time import utcnow

ROLES = ("admin", "unit_manager", "official", "citizen", "business")
BUSINESS_TYPES = ("enterprise", "cooperative", "household")


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
    consent_at: Mapped[datetime | None]
    consent_version: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    unit: Mapped[Unit | None] = relationship()

    def get_id(self) -> str:
        # The session carries the version, so bumping it logs the user out everywhere.
        return f"{self.id}:{self.session_version}"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def audience(self) -> str:
        """The course audience this account learns as."""
        if self.role == "business":
            return "business"
        if self.role == "citizen":
            return "citizen"
        return "official"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"
