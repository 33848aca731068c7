"""What a loaded partition is: the engine's instance plus the arrays the platform's pair rules read.

``missions.platform.loading.partition_load`` fills a :class:`Partition`; the rules of
``missions.core.eligibility`` read it (``Pairs``). It lives below both, with the platform's
working-time rules and the contract route that is never offered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np

from missions.matching.instance import Instance, Rules

#: The platform's working-time rules (DESIGN.md §4 and §5): all three are on.
PLATFORM_RULES = Rules(rest_night_then_day=True, rest_after_24h=True, max_hours_per_7_days=48.0)
#: A shift on this contract route is never offered (nor counted as open).
FORBIDDEN_ROUTE = "forbidden"


@dataclass
class Partition:
    """An engine instance and what the platform needs beside it (ids are database primary keys)."""

    region_code: str
    start: date
    now: datetime
    instance: Instance
    shift_starts: np.ndarray  # float64 epoch seconds per shift index
    shift_establishment: np.ndarray  # int64 establishment pk per shift index
    shift_urgent: np.ndarray  # bool
    pro_notice_hours: np.ndarray  # int32 per pro index
    blocked: np.ndarray  # sorted int64 keys pro_index * BLOCK_SPACE + establishment pk
    answered: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # pro_index * BLOCK_SPACE + shift index
    # Only ``include_closed`` loads have closed (cancelled, started, suspended) or forbidden shifts.
    shift_closed: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    shift_forbidden: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    shift_ends: np.ndarray = field(default_factory=lambda: np.zeros(0))  # float64 epoch seconds
    shift_day: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # local start date, ordinal
    shift_month: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # month_key of that date
    pro_insured_until: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # ordinal, 0: never
    bookings: Bookings = field(default_factory=lambda: Bookings.empty())
    window: tuple[datetime, datetime] | None = None  # the booked-missions window the load looked at
    known_proposals: set[int] = field(default_factory=set)
    known_missions: set[int] = field(default_factory=set)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def n_positions(self) -> int:
        return int(self.instance.shifts.positions.sum())


BLOCK_SPACE = 1 << 32


@dataclass(frozen=True)
class Bookings:
    """The active missions and pending offers of a partition's professionals, one row each (the
    instance's ``booked`` slots are their union), and the slots each one covers inside the rules'
    window (days numbered like the instance's, day 1 = the partition's start)."""

    pro: np.ndarray  # int32 pro index
    shift: np.ndarray  # int64 shift pk
    mission: np.ndarray  # bool: a mission (else a pending offer)
    month: np.ndarray  # int64 month_key of the local start
    slot_booking: np.ndarray  # int32 row of the booking, one per covered slot
    slot_day: np.ndarray  # int16
    slot_slot: np.ndarray  # int8

    @classmethod
    def empty(cls) -> Bookings:
        z32 = np.zeros(0, np.int32)
        return cls(z32, np.zeros(0, np.int64), np.zeros(0, bool), np.zeros(0, np.int64), z32,
                   np.zeros(0, np.int16), np.zeros(0, np.int8))
