"""Foundations below services and search: the privacy gate, errors, transactions, paging, limits."""
