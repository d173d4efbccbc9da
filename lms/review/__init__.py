"""The province's review of classroom training records (issue 18, point 5)."""
