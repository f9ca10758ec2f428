"""Moderation pages: flagging posts, and the admin area (/admin/flags, hidden, users, log)."""
