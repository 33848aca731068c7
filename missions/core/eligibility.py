"""Who may be offered a shift, and why not: every eligibility rule of the platform, written once.

Each rule is one :class:`Rule` object with

* ``code``: a stable name (``notice``, ``rest_11h`` …; the table in docs/matching-platform.md);
* ``texts``: per variant of the rule, the message to the professional (second person, with the
  figures of their case) and the sentence HR reads about that one professional;
* ``counted``: HR's phrase for a number of professionals (``ngettext``: « 9 exigent un préavis
  plus long »);
* ``row(pair)``: the check of one professional × one shift on the ORM (:class:`Pair`);
* ``vector(pairs)``: the same check over the arrays of a loaded partition
  (``missions.platform.loading.partition_load``; :class:`Pairs`), in NumPy, or with the pure engine's
  calendar rules (``missions.matching.rules.slot_breaks``) for the working-time rules.

Who asks what:

* ``proposal_create`` (every offer, whatever its source): ``Stage.CREATE``;
* ``proposal_accept``, under its locks, on fresh rows: ``Stage.ACCEPT``. The facts are the
  accepting ones: only missions are booked (the professional's other pending offers do not stand in
  the way of the one they accept), and the working-time rules are the legal ones, in hours;
* the matching (``platform_candidates`` for the nightly engine, ``ranked_candidates`` for urgent
  waves, ``eligible_professionals``: ``missions.platform.eligible``, which loads the partition) and
  both explanation pages (``exclusions_for`` here, ``exclusion_counts`` there): ``Stage.OFFER``, every rule. The facts are the offering ones: a pending
  offer counts as booked (the professional may accept it tomorrow; the loader does the same), and
  the working-time rules are checked in hours *and* on the engine's half-day slots, the model the
  matching works with, so that an explanation names what actually kept an offer away.

The vectorised checks see half-day slots (D 08:00–20:00, N 20:00–08:00) where the row checks also
see hours: on the platform's templates (day, night, 24 h guard) the two agree pair by pair (tested
in tests/eligibility); on other hours the slot model is the stricter one for a slot taken, while
an hours-only breach (e.g. eight hours between 14:00–22:00 and 06:00 the next day) is caught by
the row check at acceptance, under lock. The nightly engine itself knows the night-then-day and
24 h rules but not "a day and the night after it as two missions" (the legal 11 h rest): it may
offer both halves of one day to one professional in the same run; the acceptance of the second
then refuses it.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from typing import ClassVar

import numpy as np
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy, ngettext_lazy

from establishments.models import EstablishmentStatus, Shift, ShiftState
from missions.core.models import ACTIVE_MISSION_STATES, EstablishmentBlock, Mission, Proposal, ProposalState
from missions.core.partition import BLOCK_SPACE, FORBIDDEN_ROUTE, PLATFORM_RULES, Partition
from missions.core.slots import slot_of, slots_covered
from missions.matching.instance import Rules
from missions.matching.rules import column, slot_breaks
from professionals.models import Availability, Professional, Slot
from territories.geo import haversine_km
from ville_hopital.months import month_bounds, month_key

# --------------------------------------------------------------------------------------------
# What a rule answers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exclusion:
    """A rule that keeps one professional from one shift, in words (rendered in the active language)."""

    code: str
    for_professional: str
    for_hr: str


class Stage(enum.StrEnum):
    """Which rules are asked, with which facts (see the module's docstring)."""

    OFFER = "offer"
    CREATE = "create"
    ACCEPT = "accept"


#: A failed row check: the variant of the rule's texts and the figures they show.
Failure = tuple[str, dict]

# --------------------------------------------------------------------------------------------
# Working time in hours (the legal rules, DESIGN.md §5)
# --------------------------------------------------------------------------------------------

#: Daily rest: 11 consecutive hours per 24 h (Code du travail L3131-1, public-hospital decree 2002-9).
DAILY_REST = timedelta(hours=11)
#: A working day may span at most 24 h − 11 h: two missions closer than 11 h form one working day.
MAX_AMPLITUDE = timedelta(hours=24) - DAILY_REST
#: After 24 h of continuous work, an equivalent rest (24 h) before the next mission.
LONG_SHIFT = timedelta(hours=24)
#: At most 48 h of work over any 7 consecutive days, across all establishments.
WEEK = timedelta(days=7)
MAX_WEEK_HOURS = 48
#: Other bookings this far around a shift are read (the rules look 7 days each way).
AROUND = timedelta(days=8)


@dataclass(frozen=True)
class Booking:
    """Another mission (or, when offering, a pending offer) of the professional."""

    shift_id: int
    starts_at: datetime
    ends_at: datetime
    mission: bool
    where: str


def _when(moment: datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _hours_text(delta: timedelta) -> str:
    hours = Decimal(delta.total_seconds()) / Decimal(3600)
    return f"{hours.quantize(Decimal('0.1')).normalize():f}".replace(".", ",")


def _legal_breaches(bookings: Sequence[Booking], starts_at: datetime, ends_at: datetime) -> dict[str, Failure]:
    """The legal working-time rules in hours, for a shift from ``starts_at`` to ``ends_at`` beside
    ``bookings``; the first breach of each rule, by code:

    * ``slot_taken``: never two missions at the same time;
    * ``rest_11h``: between two missions, 11 h of rest — unless both fit in one working day of at
      most 13 h from the first start to the last end (08–12 then 14–18), so that the 11 h rest of
      that 24 h still holds;
    * ``guard_24h``: after a mission of 24 h or more, 24 h of rest;
    * ``hours_48``: at most 48 h in any window of 7 consecutive days (rolling, not calendar weeks).
    """
    found: dict[str, Failure] = {}
    duration = ends_at - starts_at
    apart = []
    for b in sorted(bookings, key=lambda b: b.starts_at):
        if b.ends_at <= starts_at - WEEK or b.starts_at >= ends_at + WEEK:
            continue
        kind = "mission" if b.mission else "offer"
        figures = {"start": _when(b.starts_at), "where": b.where}
        if b.starts_at < ends_at and starts_at < b.ends_at:
            found.setdefault("slot_taken", (f"{kind}_overlap", figures))
            continue
        apart.append((b.starts_at, b.ends_at))
        if b.ends_at <= starts_at:  # the booked one comes first
            gap, before = starts_at - b.ends_at, b.ends_at - b.starts_at
        else:
            gap, before = b.starts_at - ends_at, duration
        amplitude = max(ends_at, b.ends_at) - min(starts_at, b.starts_at)
        rest = LONG_SHIFT if before >= LONG_SHIFT else DAILY_REST
        if gap < rest and (rest > DAILY_REST or amplitude > MAX_AMPLITUDE):
            code = "guard_24h" if rest > DAILY_REST else "rest_11h"
            found.setdefault(code, (f"{kind}_hours", {**figures, "gap": _hours_text(gap), "rest": _hours_text(rest)}))
    worst = _max_hours_in_any_week(apart, starts_at, ends_at)
    if worst > MAX_WEEK_HOURS:
        found["hours_48"] = ("hours", {"hours": _hours_text(timedelta(hours=float(worst)))})
    return found


def _max_hours_in_any_week(others: list[tuple[datetime, datetime]], starts_at: datetime, ends_at: datetime) -> Decimal:
    """The most hours worked in a 7-day window that contains part of the new mission.

    The worked hours in a sliding window are piecewise linear in its start, so the maximum is
    reached when a window edge meets a mission's start or end: only those windows are tried.
    """
    intervals = [*others, (starts_at, ends_at)]
    candidates = {s for s, _e in intervals} | {e - WEEK for _s, e in intervals}
    best = Decimal(0)
    for window_start in candidates:
        window_end = window_start + WEEK
        if window_end <= starts_at or window_start >= ends_at:
            continue
        seconds = sum(max(0.0, (min(e, window_end) - max(s, window_start)).total_seconds()) for s, e in intervals)
        best = max(best, Decimal(int(seconds)) / Decimal(3600))
    return best


# --------------------------------------------------------------------------------------------
# Working time on half-day slots (the engine's model, wrapped)
# --------------------------------------------------------------------------------------------


def _slot_verdicts(mask: int, cols: Sequence[int], rules: Rules) -> tuple[bool, bool, bool, bool]:
    """(slot taken, 11 h rest, 24 h guard, 48 h / 7 days) for a shift covering the calendar columns
    ``cols`` (``missions.matching.rules.column``) beside the booked calendar ``mask``.

    The engine's rules (``slot_breaks``) are asked at each column the shift covers (a 24 h guard
    covers a day and its night), with the platform's one addition: a day and the night after it
    (or before it) worked as two separate missions leave no rest between them (the legal 11 h rest,
    which the engine's night-then-day rule does not see).
    """
    own = 0
    for c in cols:
        own |= 1 << c
    taken = bool(mask & own)
    rest = guard = hours = False
    for c in cols:
        # The shift's own slots are one mission, not two to rest between (01:00-13:00 covers a
        # night and the next day): the rest rule looks at the booked calendar only.
        r = slot_breaks(mask, c, rules)[0]
        _r, g, h = slot_breaks(mask | (own & ~(1 << c)), c, rules)
        other_half = c ^ 1  # D(d) <-> N(d)
        rest |= r or bool(mask >> other_half & 1 and not own >> other_half & 1)
        guard |= g
        hours |= h
    return taken, rest, guard, hours


def _columns(starts_at: datetime, ends_at: datetime, origin: date) -> list[int]:
    """The calendar columns a shift covers, days numbered from ``origin`` (day 1)."""
    return [int(column((day - origin).days + 1, slot)) for day, slot in slots_covered(starts_at, ends_at)]


# --------------------------------------------------------------------------------------------
# One professional × one shift: the facts the row checks read
# --------------------------------------------------------------------------------------------


class Pair:
    """The ORM facts about one professional and one shift at ``now``, each read once when first asked."""

    def __init__(self, *, professional: Professional, shift: Shift, now: datetime, offering: bool):
        self.professional, self.shift, self.now, self.offering = professional, shift, now, offering

    @cached_property
    def km(self) -> float:
        home, place = self.professional.home_commune, self.shift.location
        return haversine_km(home.latitude, home.longitude, place.latitude, place.longitude)

    @cached_property
    def slot(self) -> tuple[date, int]:
        return slot_of(self.shift.starts_at)

    @cached_property
    def day(self) -> date:
        """The shift's local start date (insurance, monthly cap)."""
        return timezone.localdate(self.shift.starts_at)

    @cached_property
    def own_states(self) -> set[str]:
        """What already ties the pair on this shift: ``mission`` and/or the proposals' states (a
        pending one counts only while unexpired)."""
        states = {
            state for state, expires in Proposal.objects.filter(shift=self.shift, professional=self.professional)
            .values_list("state", "expires_at")
            if state != ProposalState.PENDING or expires > self.now
        }
        if Mission.objects.filter(shift=self.shift, professional=self.professional,
                                  state__in=ACTIVE_MISSION_STATES).exists():
            states.add("mission")
        return states

    @cached_property
    def bookings(self) -> list[Booking]:
        """The professional's other active missions and, when offering, other pending offers, over
        the shift's month and 8 days around it."""
        month_from, month_to = month_bounds(self.day)
        lo, hi = min(month_from, self.shift.starts_at - AROUND), max(month_to, self.shift.ends_at + AROUND)
        rows = [
            Booking(shift_id, s, e, True, where)
            for shift_id, s, e, where in Mission.objects.filter(
                professional=self.professional, state__in=ACTIVE_MISSION_STATES, starts_at__gte=lo, starts_at__lt=hi,
            ).exclude(shift=self.shift).values_list("shift_id", "starts_at", "ends_at", "shift__establishment__name")
        ]
        if self.offering:
            rows += [
                Booking(shift_id, s, e, False, where)
                for shift_id, s, e, where in Proposal.objects.filter(
                    professional=self.professional, state=ProposalState.PENDING, expires_at__gt=self.now,
                    shift__starts_at__gte=lo, shift__starts_at__lt=hi,
                ).exclude(shift=self.shift).values_list(
                    "shift_id", "shift__starts_at", "shift__ends_at", "shift__establishment__name"
                )
            ]
        return rows

    @cached_property
    def legal(self) -> dict[str, Failure]:
        return _legal_breaches(self.bookings, self.shift.starts_at, self.shift.ends_at)

    @cached_property
    def slots(self) -> tuple[bool, bool, bool, bool]:
        """The slot model's verdicts (offering only: accepting follows the legal hours alone)."""
        if not self.offering:
            return False, False, False, False
        origin = self.slot[0]
        mask = 0
        for b in self.bookings:
            for c in _columns(b.starts_at, b.ends_at, origin):
                if c >= 0:
                    mask |= 1 << c
        return _slot_verdicts(mask, _columns(self.shift.starts_at, self.shift.ends_at, origin), PLATFORM_RULES)

    def same_slot(self) -> Booking:
        """The booking that takes one of the shift's slots (what ``slot_taken``'s text names)."""
        mine = set(slots_covered(self.shift.starts_at, self.shift.ends_at))
        return next(b for b in self.bookings if mine & set(slots_covered(b.starts_at, b.ends_at)))


# --------------------------------------------------------------------------------------------
# Many pairs of a loaded partition: the facts the vectorised checks read
# --------------------------------------------------------------------------------------------


class Pairs:
    """(professional index, shift index) pairs of a partition; derived arrays computed when first asked."""

    def __init__(self, part: Partition, pro: np.ndarray, shift: np.ndarray):
        self.part, self.pro, self.shift = part, np.asarray(pro, np.int64), np.asarray(shift, np.int64)

    def __len__(self) -> int:
        return len(self.pro)

    def subset(self, rows: np.ndarray) -> Pairs:
        return Pairs(self.part, self.pro[rows], self.shift[rows])

    @cached_property
    def keys(self) -> np.ndarray:
        return self.pro * BLOCK_SPACE + self.shift

    @cached_property
    def km(self) -> np.ndarray:
        inst = self.part.instance
        place = inst.shifts.estab[self.shift]
        return np.asarray(haversine_km(inst.pros.lat[self.pro], inst.pros.lon[self.pro],
                                       inst.establishments.lat[place], inst.establishments.lon[place]), np.float64)

    @cached_property
    def _booking_shift_index(self) -> np.ndarray:
        """For each booking, the index of its shift in the partition (−1 when not loaded)."""
        ids = self.part.instance.shifts.ids
        b = self.part.bookings.shift
        if len(ids) == 0 or len(b) == 0:
            return np.full(len(b), -1, np.int64)
        order = np.argsort(ids)
        at = np.clip(np.searchsorted(ids, b, sorter=order), 0, len(ids) - 1)
        return np.where(ids[order[at]] == b, order[at], -1)

    def own(self, *, mission: bool) -> np.ndarray:
        """Whether each pair has a mission (or a pending offer) on its own shift."""
        b = self.part.bookings
        index = self._booking_shift_index
        sel = (b.mission == mission) & (index >= 0)
        return np.isin(self.keys, b.pro[sel].astype(np.int64) * BLOCK_SPACE + index[sel])

    @cached_property
    def month_count(self) -> np.ndarray:
        """Bookings of each pair's professional in its shift's month, its own shift's left out."""
        b, part = self.part.bookings, self.part
        if len(b.pro) == 0:
            return np.zeros(len(self), np.int64)
        month_keys, month_n = np.unique(b.pro.astype(np.int64) * (1 << 24) + b.month, return_counts=True)
        own_keys, own_n = np.unique(b.pro.astype(np.int64) * BLOCK_SPACE + self._booking_shift_index,
                                    return_counts=True)
        return _lookup(month_keys, month_n, self.pro * (1 << 24) + part.shift_month[self.shift]) - _lookup(
            own_keys, own_n, self.keys
        )

    @cached_property
    def calendar(self) -> np.ndarray:
        """(n, 4) verdicts of the slot model, as ``_slot_verdicts``: slot taken, rest, guard, hours.

        Each pair's calendar is its professional's booked slots minus those of bookings on that very
        shift (already booked or offered there is another rule)."""
        part, b = self.part, self.part.bookings
        inst = part.instance
        out = np.zeros((len(self), 4), bool)
        slot_pro = b.pro[b.slot_booking].astype(np.int64)
        slot_shift = b.shift[b.slot_booking]
        slot_col = column(b.slot_day.astype(np.int64), b.slot_slot.astype(np.int64))
        for s in np.unique(self.shift).tolist():
            rows = np.flatnonzero(self.shift == s)
            starts = datetime.fromtimestamp(part.shift_starts[s], tz=UTC)
            ends = datetime.fromtimestamp(part.shift_ends[s], tz=UTC)
            cols = _columns(starts, ends, part.start)
            keep = (slot_shift != inst.shifts.ids[s]) & np.isin(slot_pro, self.pro[rows])
            masks: dict[int, int] = defaultdict(int)
            for p, c in zip(slot_pro[keep].tolist(), slot_col[keep].tolist(), strict=True):
                masks[p] |= 1 << c
            for r in rows.tolist():
                out[r] = _slot_verdicts(masks.get(int(self.pro[r]), 0), cols, inst.rules)
        return out


def _lookup(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``values`` at ``wanted`` in the sorted ``keys`` (0 where absent)."""
    if len(keys) == 0:
        return np.zeros(len(wanted), np.int64)
    at = np.clip(np.searchsorted(keys, wanted), 0, len(keys) - 1)
    return np.where(keys[at] == wanted, values[at], 0).astype(np.int64)


# --------------------------------------------------------------------------------------------
# The rules
# --------------------------------------------------------------------------------------------


class Rule(ABC):
    """One eligibility rule (see the module's docstring). Subclasses set the class attributes and
    the two checks; ``row`` returns ``None`` when the pair passes, else ``(variant, figures)``."""

    code: ClassVar[str]
    texts: ClassVar[dict[str, tuple[Promise, Promise]]]
    counted: ClassVar[Promise]
    #: The field a ``ValidationError`` names when this rule refuses an offer.
    field: ClassVar[str] = "professional"

    @abstractmethod
    def row(self, pair: Pair) -> Failure | None:
        """The ORM check of one professional × one shift."""

    @abstractmethod
    def vector(self, pairs: Pairs) -> np.ndarray:
        """The same check over the loader's arrays: True where the pair fails."""

    def exclusion(self, failure: Failure) -> Exclusion:
        variant, figures = failure
        for_professional, for_hr = self.texts[variant]
        # No str() first: a counted text (ngettext_lazy on a key) picks its form from the figures.
        return Exclusion(self.code, for_professional % figures, for_hr % figures)

    def count_phrase(self, n: int) -> str:
        return self.counted % {"n": n}


class ShiftClosed(Rule):
    code = "shift_closed"
    field = "shift"
    texts = {
        "cancelled": (gettext_lazy("L'établissement a annulé cette vacation."),
                      gettext_lazy("Cette vacation est annulée.")),
        "started": (gettext_lazy("Cette vacation a déjà commencé."), gettext_lazy("Cette vacation a déjà commencé.")),
        "suspended": (gettext_lazy("L'établissement est suspendu : ses vacations ne sont plus proposées."),
                      gettext_lazy("L'établissement est suspendu : ses vacations ne sont plus proposées.")),
    }
    counted = ngettext_lazy("%(n)s ne peut plus la prendre : la vacation n'est plus ouverte",
                            "%(n)s ne peuvent plus la prendre : la vacation n'est plus ouverte", "n")

    def row(self, pair):
        shift = pair.shift
        if shift.state != ShiftState.PUBLISHED:
            return "cancelled", {}
        if shift.starts_at <= pair.now:
            return "started", {}
        if shift.establishment.status == EstablishmentStatus.SUSPENDED:
            return "suspended", {}
        return None

    def vector(self, pairs):
        return pairs.part.shift_closed[pairs.shift]


class AlreadyBooked(Rule):
    code = "already_booked"
    texts = {"booked": (gettext_lazy("Vous êtes déjà inscrit(e) sur cette vacation."),
                        gettext_lazy("Ce professionnel est déjà inscrit sur cette vacation."))}
    counted = ngettext_lazy("%(n)s déjà réservé sur cette vacation", "%(n)s déjà réservés sur cette vacation", "n")

    def row(self, pair):
        return ("booked", {}) if "mission" in pair.own_states else None

    def vector(self, pairs):
        return pairs.own(mission=True)


class Offered(Rule):
    code = "offered"
    texts = {"pending": (
        gettext_lazy("Cette vacation vous a été proposée : la proposition est en attente de votre réponse."),
        gettext_lazy("Une proposition lui a été faite ; elle attend sa réponse."),
    )}
    counted = ngettext_lazy("%(n)s a reçu l'offre et n'a pas encore répondu",
                            "%(n)s ont reçu l'offre et n'ont pas encore répondu", "n")

    def row(self, pair):
        return ("pending", {}) if ProposalState.PENDING in pair.own_states else None

    def vector(self, pairs):
        return pairs.own(mission=False)


class Declined(Rule):
    """An offer of this shift declined or left to expire is never made again."""

    code = "declined"
    texts = {
        "declined": (gettext_lazy("Cette vacation vous a été proposée et vous l'avez déclinée."),
                     gettext_lazy("Ce professionnel a décliné cette vacation.")),
        "expired": (gettext_lazy("Cette vacation vous a été proposée mais la proposition a expiré sans réponse."),
                    gettext_lazy("Ce professionnel a laissé expirer la proposition de cette vacation.")),
    }
    counted = ngettext_lazy("%(n)s a décliné l'offre ou l'a laissée expirer",
                            "%(n)s ont décliné l'offre ou l'ont laissée expirer", "n")

    def row(self, pair):
        for state in (ProposalState.DECLINED, ProposalState.EXPIRED):
            if state in pair.own_states:
                return str(state), {}
        return None

    def vector(self, pairs):
        return np.isin(pairs.keys, pairs.part.answered)


class SameProfession(Rule):
    code = "profession"
    texts = {"other": (gettext_lazy("Cette vacation est réservée à une autre profession (%(profession)s)."),
                       gettext_lazy("Ce professionnel exerce une autre profession."))}
    counted = ngettext_lazy("%(n)s d'une autre profession", "%(n)s d'une autre profession", "n")

    def row(self, pair):
        if pair.shift.profession_id != pair.professional.profession_id:
            return "other", {"profession": pair.shift.profession}
        return None

    def vector(self, pairs):
        inst = pairs.part.instance
        return inst.pros.profession[pairs.pro] != inst.shifts.profession[pairs.shift]


class ContractRoute(Rule):
    code = "contract_route"
    field = "shift"
    texts = {"forbidden": (
        gettext_lazy("Aucune voie contractuelle légale ne permet cette vacation pour votre profession dans ce type "
                     "d'établissement."),
        gettext_lazy("Aucune voie contractuelle légale pour cette profession dans ce type d'établissement."),
    )}
    counted = ngettext_lazy("%(n)s exclu : aucune voie contractuelle légale",
                            "%(n)s exclus : aucune voie contractuelle légale", "n")

    def row(self, pair):
        return ("forbidden", {}) if pair.shift.contract_route == FORBIDDEN_ROUTE else None

    def vector(self, pairs):
        return pairs.part.shift_forbidden[pairs.shift]


class Skills(Rule):
    code = "skills"
    texts = {"missing": (gettext_lazy("Compétence requise manquante : %(codes)s."),
                         gettext_lazy("Compétence requise manquante : %(codes)s."))}
    counted = ngettext_lazy("%(n)s sans les compétences requises", "%(n)s sans les compétences requises", "n")

    def row(self, pair):
        missing = set(pair.shift.required_skills.values_list("code", flat=True)) - set(
            pair.professional.skills.values_list("code", flat=True)
        )
        return ("missing", {"codes": ", ".join(sorted(missing))}) if missing else None

    def vector(self, pairs):
        inst = pairs.part.instance
        return np.any(inst.shifts.required[pairs.shift] & ~inst.pros.skills[pairs.pro], axis=1)


class Distance(Rule):
    code = "distance"
    texts = {"far": (gettext_lazy("Le lieu est à %(km)s km de chez vous, au-delà de votre rayon de %(radius)s km."),
                     gettext_lazy("Habite à %(km)s km, au-delà de son rayon de %(radius)s km."))}
    counted = ngettext_lazy("%(n)s hors de son rayon de déplacement", "%(n)s hors de leur rayon de déplacement", "n")

    def row(self, pair):
        if pair.km > pair.professional.radius_km:
            return "far", {"km": f"{pair.km:.0f}", "radius": pair.professional.radius_km}
        return None

    def vector(self, pairs):
        return pairs.km > pairs.part.instance.pros.radius_km[pairs.pro]


class Blocked(Rule):
    code = "blocked"
    texts = {
        "by_professional": (gettext_lazy("Vous avez exclu cet établissement."),
                            gettext_lazy("Ce professionnel a exclu votre établissement.")),
        "by_establishment": (gettext_lazy("Cet établissement ne souhaite plus travailler avec vous."),
                             gettext_lazy("Votre établissement a exclu ce professionnel.")),
    }
    counted = ngettext_lazy("%(n)s bloqué (par lui ou par vous)", "%(n)s bloqués (par eux ou par vous)", "n")

    def row(self, pair):
        establishment_id = pair.shift.establishment_id
        if pair.professional.blocked_establishments.filter(pk=establishment_id).exists():
            return "by_professional", {}
        if EstablishmentBlock.objects.filter(establishment_id=establishment_id,
                                             professional=pair.professional).exists():
            return "by_establishment", {}
        return None

    def vector(self, pairs):
        part = pairs.part
        return np.isin(pairs.pro * BLOCK_SPACE + part.shift_establishment[pairs.shift], part.blocked)


class Insurance(Rule):
    """Insured on the shift's local start date: a valid RCP attestation (``Professional.objects.eligible_on``)."""

    code = "insurance"
    texts = {"uninsured": (
        gettext_lazy("Votre assurance responsabilité civile professionnelle (RCP) n'est pas valable le %(day)s : "
                     "déposez une attestation à jour dans vos justificatifs."),
        gettext_lazy("Son assurance responsabilité civile professionnelle (RCP) n'est pas valable le %(day)s."),
    )}
    counted = ngettext_lazy("%(n)s sans assurance RCP valable ce jour-là",
                            "%(n)s sans assurance RCP valable ce jour-là", "n")

    def row(self, pair):
        if Professional.objects.eligible_on(pair.day).filter(pk=pair.professional.pk).exists():
            return None
        return "uninsured", {"day": formats.date_format(pair.day, "DATE_FORMAT")}

    def vector(self, pairs):
        part = pairs.part
        return part.pro_insured_until[pairs.pro] < part.shift_day[pairs.shift]


class Declared(Rule):
    code = "availability"
    texts = {"undeclared": (
        gettext_lazy("Vous n'avez pas déclaré de disponibilité sur ce créneau (%(slot)s du %(day)s)."),
        gettext_lazy("Ce professionnel n'a pas déclaré ce créneau disponible."),
    )}
    counted = ngettext_lazy("%(n)s n'a pas déclaré ce créneau", "%(n)s n'ont pas déclaré ce créneau", "n")

    def row(self, pair):
        day, slot = pair.slot
        code = Slot.NIGHT if slot else Slot.DAY
        if Availability.objects.filter(professional=pair.professional, day=day, slot=code).exists():
            return None
        return "undeclared", {"slot": code.label, "day": formats.date_format(day, "DATE_FORMAT")}

    def vector(self, pairs):
        inst = pairs.part.instance
        a = inst.availability
        width = 2 * (inst.horizon + 2)
        declared = a.pro.astype(np.int64) * width + a.day.astype(np.int64) * 2 + a.slot
        wanted = (pairs.pro * width + inst.shifts.day[pairs.shift].astype(np.int64) * 2
                  + inst.shifts.slot[pairs.shift])
        return ~np.isin(wanted, declared)


class Notice(Rule):
    code = "notice"
    texts = {"short": (
        gettext_lazy("La vacation commence dans %(hours)s h ; vous demandez un délai de prévenance de %(notice)s h."),
        gettext_lazy("Ce professionnel demande un préavis de %(notice)s h ; la vacation commence dans %(hours)s h."),
    )}
    counted = ngettext_lazy("%(n)s exige un préavis plus long", "%(n)s exigent un préavis plus long", "n")

    def row(self, pair):
        notice = pair.professional.min_notice_hours
        if pair.shift.starts_at >= pair.now + timedelta(hours=notice):
            return None
        left = max(pair.shift.starts_at - pair.now, timedelta(0))
        return "short", {"hours": int(left.total_seconds() // 3600), "notice": notice}

    def vector(self, pairs):
        part = pairs.part
        return part.shift_starts[pairs.shift] < part.now.timestamp() + part.pro_notice_hours[pairs.pro] * 3600.0


class SlotTaken(Rule):
    code = "slot_taken"
    texts = {
        "mission_overlap": (gettext_lazy("Chevauche votre mission du %(start)s chez %(where)s."),
                            gettext_lazy("Chevauche sa mission du %(start)s chez %(where)s.")),
        "offer_overlap": (
            gettext_lazy("Chevauche une autre vacation qui vous est proposée (%(start)s, %(where)s) : la proposition "
                         "attend votre réponse."),
            gettext_lazy("Chevauche une autre proposition en attente de sa réponse (%(start)s, %(where)s)."),
        ),
        "mission_slot": (gettext_lazy("Ce créneau est déjà pris par votre mission du %(start)s chez %(where)s."),
                         gettext_lazy("Ce créneau est déjà pris par sa mission du %(start)s chez %(where)s.")),
        "offer_slot": (
            gettext_lazy("Une autre vacation vous est déjà proposée sur ce créneau (%(start)s, %(where)s)."),
            gettext_lazy("Une autre vacation lui est déjà proposée sur ce créneau (%(start)s, %(where)s)."),
        ),
    }
    counted = ngettext_lazy("%(n)s déjà pris sur ce créneau", "%(n)s déjà pris sur ce créneau", "n")

    def row(self, pair):
        if "slot_taken" in pair.legal:
            return pair.legal["slot_taken"]
        if pair.slots[0]:
            b = pair.same_slot()
            kind = "mission" if b.mission else "offer"
            return f"{kind}_slot", {"start": _when(b.starts_at), "where": b.where}
        return None

    def vector(self, pairs):
        return pairs.calendar[:, 0]


class _SlotRule(Rule):
    """A working-time rule checked in hours (the law) and, when offering, on the engine's slots."""

    column: ClassVar[int]  # in the slot verdicts

    def row(self, pair):
        if self.code in pair.legal:
            return pair.legal[self.code]
        return ("slots", {}) if pair.slots[self.column] else None

    def vector(self, pairs):
        return pairs.calendar[:, self.column]


class Rest(_SlotRule):
    code = "rest_11h"
    column = 1
    texts = {
        "mission_hours": (
            gettext_lazy("Repos insuffisant : %(gap)s h seulement entre cette vacation et votre mission du %(start)s "
                         "(il faut %(rest)s h de repos)."),
            gettext_lazy("Repos insuffisant : %(gap)s h seulement avec sa mission du %(start)s (il faut %(rest)s h)."),
        ),
        "offer_hours": (
            gettext_lazy("Repos insuffisant : %(gap)s h seulement entre cette vacation et celle du %(start)s "
                         "(%(where)s) qui vous est proposée, en attente de votre réponse (il faut %(rest)s h de "
                         "repos)."),
            gettext_lazy("Repos insuffisant : %(gap)s h seulement avec une autre proposition en attente (%(start)s) "
                         "(il faut %(rest)s h)."),
        ),
        "slots": (
            gettext_lazy("Repos insuffisant : vous travaillez la nuit juste avant ou juste après (il faut 11 h de "
                         "repos entre deux vacations)."),
            gettext_lazy("Repos insuffisant : il travaille la nuit juste avant ou juste après (il faut 11 h)."),
        ),
    }
    counted = ngettext_lazy("%(n)s au repos (11 h entre deux vacations)", "%(n)s au repos (11 h entre deux vacations)",
                            "n")


class Guard(_SlotRule):
    code = "guard_24h"
    column = 2
    texts = {
        "mission_hours": (
            gettext_lazy("Repos insuffisant : %(gap)s h seulement entre cette vacation et votre mission du %(start)s ; "
                         "après une garde de 24 h, il faut %(rest)s h de repos."),
            gettext_lazy("Repos insuffisant après une garde de 24 h (sa mission du %(start)s) : il faut %(rest)s h."),
        ),
        "offer_hours": (
            gettext_lazy("Repos insuffisant : %(gap)s h seulement entre cette vacation et celle du %(start)s "
                         "(%(where)s) qui vous est proposée ; après une garde de 24 h, il faut %(rest)s h de repos."),
            gettext_lazy("Repos insuffisant après une garde de 24 h (proposition en attente du %(start)s) : il faut "
                         "%(rest)s h."),
        ),
        "slots": (
            gettext_lazy("Après une garde de 24 h (un jour et sa nuit), il faut 24 h de repos : cette vacation tombe "
                         "trop tôt."),
            gettext_lazy("Après une garde de 24 h, il faut 24 h de repos : cette vacation tombe trop tôt."),
        ),
    }
    counted = ngettext_lazy("%(n)s au repos après une garde de 24 h", "%(n)s au repos après une garde de 24 h", "n")


class Hours48(_SlotRule):
    code = "hours_48"
    column = 3
    texts = {
        "hours": (gettext_lazy("Plus de 48 h de travail sur 7 jours glissants (%(hours)s h avec cette vacation)."),
                  gettext_lazy("Plus de 48 h de travail sur 7 jours glissants (%(hours)s h avec cette vacation).")),
        "slots": (gettext_lazy("Plus de 48 h de travail sur 7 jours avec cette vacation (vacations de 12 h)."),
                  gettext_lazy("Plus de 48 h de travail sur 7 jours avec cette vacation (vacations de 12 h).")),
    }
    counted = ngettext_lazy("%(n)s dépasserait 48 h sur 7 jours", "%(n)s dépasseraient 48 h sur 7 jours", "n")


class MonthlyCap(Rule):
    code = "monthly_cap"
    texts = {
        # The maximum may be 0 or 1 (« maximum de 1 mission »): each text is counted on "max".
        "missions": (ngettext_lazy("Vous avez atteint votre maximum de %(max)s mission pour ce mois.",
                                   "Vous avez atteint votre maximum de %(max)s missions pour ce mois.", "max"),
                     ngettext_lazy("Ce professionnel a atteint son maximum de %(max)s mission pour ce mois.",
                                   "Ce professionnel a atteint son maximum de %(max)s missions pour ce mois.", "max")),
        "with_offers": (
            ngettext_lazy("Avec les propositions en attente de votre réponse, vous atteignez votre maximum de %(max)s "
                          "mission pour ce mois.",
                          "Avec les propositions en attente de votre réponse, vous atteignez votre maximum de %(max)s "
                          "missions pour ce mois.", "max"),
            ngettext_lazy("Avec ses propositions en attente, ce professionnel atteint son maximum de %(max)s mission "
                          "pour ce mois.",
                          "Avec ses propositions en attente, ce professionnel atteint son maximum de %(max)s missions "
                          "pour ce mois.", "max"),
        ),
    }
    counted = ngettext_lazy("%(n)s a atteint son plafond de missions du mois",
                            "%(n)s ont atteint leur plafond de missions du mois", "n")

    def row(self, pair):
        cap = pair.professional.max_missions_per_month
        month = month_key(pair.day)
        in_month = [b for b in pair.bookings if month_key(timezone.localdate(b.starts_at)) == month]
        if sum(b.mission for b in in_month) >= cap:
            return "missions", {"max": cap}
        if len(in_month) >= cap:
            return "with_offers", {"max": cap}
        return None

    def vector(self, pairs):
        return pairs.month_count >= pairs.part.instance.pros.max_missions[pairs.pro]


#: Every rule, most decisive first: the order of a professional's explanation and of HR's counts.
RULES: tuple[Rule, ...] = (
    ShiftClosed(), AlreadyBooked(), Offered(), Declined(), SameProfession(), ContractRoute(), Skills(), Distance(),
    Blocked(), Insurance(), Declared(), Notice(), SlotTaken(), Rest(), Guard(), Hours48(), MonthlyCap(),
)
RULE_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}

_STAGE_CODES: dict[Stage, tuple[str, ...]] = {
    Stage.OFFER: tuple(RULE_BY_CODE),
    # What every offer must meet, whatever made it (the matching and HR's offers ask OFFER first).
    Stage.CREATE: ("shift_closed", "already_booked", "profession", "contract_route", "skills", "blocked"),
    # Under proposal_accept's locks. Not asked: notice, distance, availability (accepting is the
    # professional's choice), offered / declined (they hold the offer), already booked (the
    # constraint one_active_mission_per_pair is the last line).
    Stage.ACCEPT: ("shift_closed", "profession", "contract_route", "skills", "blocked", "insurance", "slot_taken",
                   "rest_11h", "guard_24h", "hours_48", "monthly_cap"),
}

#: The rules the nightly engine cannot see (its FORMAT.md instance has no such column): removed
#: from its candidate pairs (``platform_candidates``) and exported as ``excluded.csv``. The others
#: (profession, skills, distance, availability, slot taken, working time, monthly cap) are the
#: engine's own constraints on the same arrays.
PAIR_RULE_CODES = ("shift_closed", "contract_route", "declined", "blocked", "insurance", "notice")


def stage_rules(stage: Stage) -> tuple[Rule, ...]:
    return tuple(RULE_BY_CODE[code] for code in _STAGE_CODES[Stage(stage)])


# --------------------------------------------------------------------------------------------
# One professional × one shift
# --------------------------------------------------------------------------------------------


def exclusions_for(*, professional: Professional, shift: Shift, now: datetime | None = None,
                   stage: Stage = Stage.OFFER) -> list[Exclusion]:
    """Every rule of ``stage`` that keeps ``professional`` from ``shift``, most decisive first;
    ``[]`` means eligible. The default, ``Stage.OFFER``, is the matching's question ("may it be
    offered to them?"), asked by the explanation pages and HR's named offers."""
    stage = Stage(stage)
    pair = Pair(professional=professional, shift=shift, now=now or timezone.now(), offering=stage != Stage.ACCEPT)
    found = []
    for rule in stage_rules(stage):
        failure = rule.row(pair)
        if failure is not None:
            found.append(rule.exclusion(failure))
    return found


# --------------------------------------------------------------------------------------------
# Many pairs at once (vectorised)
# --------------------------------------------------------------------------------------------


def first_failures(pairs: Pairs, rules: Sequence[Rule] = RULES) -> np.ndarray:
    """For each pair, the index in ``rules`` of the first rule that excludes it (−1: eligible).
    Each rule is evaluated only on the pairs still standing, so the costly calendar checks run
    for the few that passed everything else."""
    out = np.full(len(pairs), -1, np.int64)
    standing = np.arange(len(pairs))
    for i, rule in enumerate(rules):
        if len(standing) == 0:
            break
        bad = rule.vector(pairs.subset(standing))
        out[standing[bad]] = i
        standing = standing[~bad]
    return out


def excluded_mask(part: Partition, pro: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """True where a pair rule the engine cannot see (``PAIR_RULE_CODES``) excludes the pair."""
    pairs = Pairs(part, pro, shift)
    bad = np.zeros(len(pairs), bool)
    for code in PAIR_RULE_CODES:
        if len(pairs):
            bad |= RULE_BY_CODE[code].vector(pairs)
    return bad
