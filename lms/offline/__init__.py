"""Offline learning: the installable web app, courses saved on the device, quizzes
taken offline and graded when the connection returns, and course packs (issue 17)."""
