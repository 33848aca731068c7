"""Both sides of each rule for one pair: the row check (``exclusions_for``) and the vectorised one
(the rules' ``vector`` over a loaded partition)."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np

from establishments.models import Shift
from missions.core.eligibility import RULES, Pairs, exclusions_for
from missions.core.partition import Partition
from missions.core.slots import slot_of
from missions.platform.loading import partition_load


def load(shifts: list[Shift], now: datetime) -> Partition:
    """A partition of ``shifts`` whatever their state (``include_closed``), as the explanations load it."""
    first = min(slot_of(s.starts_at)[0] for s in shifts)
    last = max(slot_of(s.starts_at)[0] for s in shifts)
    return partition_load(region_code=None, start=first, horizon_days=(last - first).days + 1, now=now,
                          shift_ids=[s.pk for s in shifts], count_pending=False, include_closed=True)


def vector_codes(part: Partition, pro_pk: int, shift_pk: int) -> set[str]:
    """The rules whose vectorised check excludes the pair (the pair must be in the partition)."""
    inst = part.instance
    p = np.flatnonzero(inst.pros.ids == pro_pk)
    s = np.flatnonzero(inst.shifts.ids == shift_pk)
    assert len(p) == 1 and len(s) == 1, "the pair is not in the partition"
    pairs = Pairs(part, p, s)
    return {rule.code for rule in RULES if bool(rule.vector(pairs)[0])}


def row_codes(pro, shift, now: datetime) -> list[str]:
    return [e.code for e in exclusions_for(professional=pro, shift=shift, now=now)]


def later(moment: datetime, **delta) -> datetime:
    return moment + timedelta(**delta)
