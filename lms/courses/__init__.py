"""Courses: Markdown folders in courses/, their checking, loading and pages."""

from lms.courses.views import bp

__all__ = ["bp"]
