"""Courses: Markdown folders in courses/, their checking, loading and pages."""
