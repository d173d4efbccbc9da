"""Audit log: who did what, when, to which unit (imports, exports, roles, tokens,
activation links, account deletions), viewable and filterable by admins."""
