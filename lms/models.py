"""Every model, imported in one place so metadata is complete for Alembic."""

from lms.auth.models import User  # noqa: F401
from lms.courses.models import Course, Lesson  # noqa: F401
from lms.learning.models import Completion, LessonProgress, QuizAttempt  # noqa: F401
from lms.org.models import Unit  # noqa: F401
