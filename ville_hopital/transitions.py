"""The one way a row changes state: ``transition``.

Proposals, missions, contracts, shifts, matching runs and notification deliveries are state
machines. Each model declares its table as ``TRANSITIONS`` (a state → the states it may move to; a
state absent from the keys is final). ``transition`` locks the row, reads its state under the lock,
refuses a move the table does not allow with a message naming the current state, writes the new
state and an audit row (old state, new state, actor). ``transition_check`` is the same refusal
without the write, for a service that must say no before doing anything else.

``tests/architecture/test_state_machines.py`` fails if code writes a ``state`` field anywhere else.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from ville_hopital.audit import audit_record

Table = Mapping[str, Collection[str]]


def transitions_of(model: type[models.Model]) -> Table:
    return model.TRANSITIONS  # type: ignore[attr-defined]


def _label(model: type[models.Model], state: str) -> str:
    return str(dict(model._meta.get_field("state").flatchoices).get(state, state))


def transition_check(obj: models.Model, *, to_state: str, current: str | None = None) -> None:
    """Refuse (``ValidationError`` on ``state``) a move the model's table does not allow."""
    model = type(obj)
    current = obj.state if current is None else current  # type: ignore[attr-defined]
    if to_state in transitions_of(model).get(current, ()):
        return
    raise ValidationError({"state": _(
        "%(object)s : état « %(state)s », le passage à « %(to)s » n'est pas possible."
    ) % {"object": capfirst(model._meta.verbose_name), "state": _label(model, current), "to": _label(model, to_state)}})


def transition(
    obj: models.Model,
    *,
    to_state: str,
    actor: Any | None,
    action: str,
    data: dict[str, Any] | None = None,
    update_fields: Collection[str] | None = None,
) -> str:
    """Move ``obj`` to ``to_state`` and audit it; returns the state it left.

    The row is locked and its state read again under the lock, so a move decided on a stale copy
    (another request changed it meanwhile) is refused rather than written over. Fields the caller
    set on ``obj`` beforehand are saved with it: those in ``update_fields``, or all of them.
    """
    model = type(obj)
    with transaction.atomic():
        current = model._default_manager.select_for_update().filter(pk=obj.pk).values_list("state", flat=True).first()
        if current is None:
            raise ValidationError({"state": _("%(object)s introuvable.") % {"object": capfirst(model._meta.verbose_name)}})
        transition_check(obj, to_state=to_state, current=current)
        obj.state = to_state  # type: ignore[attr-defined]
        # Uniqueness and constraints are the database's to enforce (under the lock, as the last line).
        obj.full_clean(validate_unique=False, validate_constraints=False)
        obj.save(update_fields=None if update_fields is None else ["state", *update_fields])
        audit_record(actor=actor, action=action, target=obj, from_state=current, to_state=to_state, data=data)
    return current
