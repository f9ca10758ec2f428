"""Unit tests of the search package (no database, no app)."""
