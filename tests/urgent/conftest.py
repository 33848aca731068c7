"""Builders for urgent shifts: an establishment in Montpellier with an HR member, nurses who accept
short notice, are insured and declared the shift's slot (``tests.factories`` underneath)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from establishments.models import Establishment, MemberRole, Shift
from missions.core.slots import slot_of
from professionals.models import Professional
from tests.factories import (
    insure,
    local,
    make_availability,
    make_establishment,
    make_professional,
    make_shift,
    make_unit,
    make_user,
    next_number,
)
from tests.notifications.conftest import brevo as brevo  # the HTTP SMS backend on a local server

MONTPELLIER, CASTELNAU, LATTES, PEROLS = "34172", "34057", "34129", "34198"
HOMES = (MONTPELLIER, CASTELNAU, LATTES, PEROLS)


def declare(professional: Professional, shift: Shift | datetime) -> None:
    """``professional`` declared the half-day slot ``shift`` (or a shift starting at that moment)
    starts in (as a row: the slot may have begun)."""
    day, slot = slot_of(shift.starts_at if isinstance(shift, Shift) else shift)
    make_availability(professional, day, "N" if slot else "D", as_row=True)


def nurse(*, commune: str = MONTPELLIER, notice: int = 2, shift: Shift | datetime | None = None, first: str = "Infirmière",
          last: str | None = None, insured: bool = True, **fields) -> Professional:
    """A nurse (profession 60) who accepts ``notice`` hours of notice, insured, available for ``shift``."""
    user = make_user(first_name=first, last_name=last or f"N{next_number()}")
    professional = make_professional(user, commune=commune, min_notice_hours=notice, radius_km=40,
                                     max_missions_per_month=8, **fields)
    if insured:
        insure(professional)
    if shift is not None:
        declare(professional, shift)
    return professional


def nurses(shift: Shift | datetime, n: int, **fields) -> list[Professional]:
    """``n`` eligible nurses for ``shift``, living further and further away (the ranking is by km)."""
    return [nurse(commune=HOMES[i % len(HOMES)], shift=shift, last=f"Numéro{i:02d}", **fields) for i in range(n)]


class Scene:
    """A verified CHU in Montpellier: ``alice`` its HR member (writer), ``bob`` a viewer, ``charlie``
    HR of another establishment."""

    def __init__(self):
        self.alice = make_user(first_name="Alice", last_name="RH")
        self.bob = make_user(first_name="Bob", last_name="Lecteur")
        self.charlie = make_user(first_name="Charlie", last_name="Ailleurs")
        self.chu: Establishment = make_establishment(
            admin=self.alice, members={self.alice: MemberRole.ADMIN, self.bob: MemberRole.VIEWER},
            commune=MONTPELLIER, name="CHU de Montpellier",
        )
        make_unit(self.chu)
        self.other = make_establishment(admin=self.charlie, commune=LATTES, name="Clinique de Lattes")
        make_unit(self.other)

    def shift(self, *, day: int = 0, night: bool = True, **fields) -> Shift:
        """A 12 h nurse shift of the CHU posted by alice: the night (20:00) or the day (08:00) of
        ``day`` days from today."""
        starts_at = local(timezone.localdate() + timedelta(days=day), 20 if night else 8)
        return make_shift(self.chu, by=self.alice, starts_at=starts_at, **fields)


@pytest.fixture
def pin():
    """``pin(hour)``: from now on the clock reads ``hour``:00 (Paris) of a day a week ahead, and ticks.
    Lead times (how soon a shift starts) are then the same on any day the suite runs."""
    travellers = []

    def to(hour: int, minute: int = 0) -> datetime:
        moment = local(timezone.localdate() + timedelta(days=7), hour, minute)
        traveller = time_machine.travel(moment, tick=True)
        traveller.start()
        travellers.append(traveller)
        return moment

    yield to
    for traveller in reversed(travellers):
        traveller.stop()


@pytest.fixture
def scene(db) -> Scene:
    return Scene()


@pytest.fixture
def live_scene(live_db) -> Scene:
    return Scene()
