"""Learning: lesson progress, quizzes, completions and certificates."""

from lms.learning.views import bp

__all__ = ["bp"]
