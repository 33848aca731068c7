"""How an urgent shift's offers escalate: the table of waves, as data (DESIGN.md §4).

Read by the waves (``missions.platform.services.urgent``) and by HR's board (``missions.booking.selectors_hr``: the
"next wave at" of each shift), so it lives apart from both.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from establishments.models import Shift


@dataclass(frozen=True)
class WavePlan:
    """How offers escalate for a shift starting within ``starts_within`` (``None``: any later start):
    the first wave asks ``first`` professionals, each next one ``more`` than the one before, one wave
    every ``every``. Waves go on until every eligible professional has been asked."""

    starts_within: timedelta | None
    first: int
    more: int
    every: timedelta

    def size(self, wave: int) -> int:
        return self.first + self.more * (max(wave, 1) - 1)


#: Soonest first; the first row whose ``starts_within`` holds applies. Tonight's shift asks widening
#: circles minutes apart (5, 10, 15… professionals every 5 min), tomorrow's five more every quarter
#: of an hour, one HR flagged urgent for later five more every hour.
ESCALATION: tuple[WavePlan, ...] = (
    WavePlan(starts_within=timedelta(hours=6), first=5, more=5, every=timedelta(minutes=5)),
    WavePlan(starts_within=timedelta(hours=24), first=5, more=0, every=timedelta(minutes=15)),
    WavePlan(starts_within=None, first=5, more=0, every=timedelta(minutes=60)),
)


def wave_plan(shift: Shift, now: datetime) -> WavePlan:
    """The row of ``ESCALATION`` for ``shift`` at ``now``."""
    lead = shift.starts_at - now
    return next(plan for plan in ESCALATION if plan.starts_within is None or lead < plan.starts_within)


def next_wave_at(*, shift: Shift, last_wave_at: datetime | None, now: datetime) -> datetime:
    """When the next wave of ``shift`` is due: ``now`` if none was sent yet, else the last wave
    plus the spacing of the shift's plan."""
    if last_wave_at is None:
        return now
    return last_wave_at + wave_plan(shift, now).every
