"""Contracts of booked missions: drafted from the contract route, rendered as PDF, signed in the
browser by both parties, then completed ("service fait") or cancelled. See docs/contracts.md.

Models live in ``missions.contracts.models`` and are registered under the ``missions`` app
(``missions/models.py`` imports them), so their migrations are the missions app's.
"""
