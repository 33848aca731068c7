"""The one vocabulary of access: what a user may do with a tenant row.

Every tenant model's queryset answers ``Model.objects.for_user(user, action)`` (in the spirit of
NetBox's ``restrict``): the rows ``user`` may ``action``. HTML views, the API and the services ask
only that, so a rule of who sees what is written once, beside its model.

- ``VIEW``: read it (a sister site's shared shift is visible, not yours to change);
- ``CHANGE``: act on it (HR and admins of the row's own establishment, or the professional it is about);
- ``ADMIN``: manage the establishment itself (members, integration tokens, webhooks).

A row outside the answer is "missing" to the caller: views answer 404 for it, the same as for a row
that does not exist.
"""

from __future__ import annotations

from typing import Literal

Action = Literal["view", "change", "admin"]

VIEW: Action = "view"
CHANGE: Action = "change"
ADMIN: Action = "admin"

ACTIONS: frozenset[str] = frozenset({VIEW, CHANGE, ADMIN})


def action_check(action: str) -> Action:
    """Refuse a misspelt action loudly: a typo must never widen (or silently empty) an answer."""
    if action not in ACTIONS:
        raise ValueError(f"unknown access action {action!r}; expected one of {sorted(ACTIONS)}")
    return action  # type: ignore[return-value]
