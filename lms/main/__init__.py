"""Site-wide pages: home, language switch, privacy notice, errors."""

from lms.main.views import bp

__all__ = ["bp"]
