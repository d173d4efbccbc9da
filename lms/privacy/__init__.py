"""A learner's own data: download it as JSON, or have the account anonymised."""
