"""Reminders to learners and weekly digests to HR officers and the province admin,
queued in the outbox by `flask --app lms reminders send` (run daily)."""
