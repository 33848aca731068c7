"""The eligibility rules over a loaded partition: the engine's candidates minus what the rules exclude,
the ranked candidates of an urgent wave, and the counts of the explanation pages.

The rules themselves are ``missions.core.eligibility`` (booking asks them row by row); what is
here loads a partition (``missions.platform.loading``) to ask them in bulk.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
from django.utils import timezone
from django.utils.translation import ngettext_lazy

from establishments.models import Shift
from missions.core.eligibility import (
    RULE_BY_CODE,
    RULES,
    Pairs,
    excluded_mask,
    first_failures,
)
from missions.core.partition import Partition
from missions.core.slots import slot_of
from missions.matching.candidates import Candidates, build_candidates
from missions.platform.loading import partition_load
from professionals.models import Professional


def platform_candidates(part: Partition) -> tuple[Candidates, int]:
    """The engine's candidate pairs minus those the pair rules exclude (and how many were removed)."""
    cand = build_candidates(part.instance)
    bad = excluded_mask(part, cand.pro, cand.shift)
    return cand.subset(~bad), int(bad.sum())


def excluded_pairs(part: Partition) -> tuple[np.ndarray, np.ndarray]:
    """The engine's candidate pairs the pair rules exclude (``excluded.csv``): (pro index, shift index)."""
    cand = build_candidates(part.instance)
    bad = excluded_mask(part, cand.pro, cand.shift)
    return cand.pro[bad], cand.shift[bad]


def ranked_candidates(part: Partition, shift_index: int) -> list[tuple[int, float]]:
    """The professionals of the partition that every rule allows on one shift, as (pro index, km):
    nearest first, then fewer missions and offers that month, then the professional's id."""
    everyone = np.arange(len(part.instance.pros), dtype=np.int64)
    pairs = Pairs(part, everyone, np.full(len(everyone), shift_index, np.int64))
    ok = first_failures(pairs) < 0
    chosen = pairs.subset(np.flatnonzero(ok))
    rows = list(zip(chosen.pro.tolist(), chosen.km.tolist(), chosen.month_count.tolist(), strict=True))
    ids = part.instance.pros.ids
    rows.sort(key=lambda r: (round(r[1], 3), r[2], int(ids[r[0]])))
    return [(p, km) for p, km, _n in rows]


# --------------------------------------------------------------------------------------------
# One shift, everyone within reach
# --------------------------------------------------------------------------------------------


def _shift_partition(shift: Shift, now: datetime) -> Partition:
    """The shift alone, whatever its state, and the professionals of its profession within reach."""
    day, _slot = slot_of(shift.starts_at)
    return partition_load(region_code=None, start=day, horizon_days=1, now=now, shift_ids=[shift.pk],
                          count_pending=False, include_closed=True)


#: Who HR's counts are about: the professionals of the shift's profession whose radius reaches it.
REACH_CODES = ("profession", "distance")


def exclusion_counts(*, shift: Shift, now: datetime | None = None) -> list[tuple[str, int, str]]:
    """Why the professionals of ``shift``'s profession within reach of it may not take it, for HR.

    Each professional is counted once, under the first rule that excludes them (``RULES`` order).
    Rows ``(code, count, sentence)``: first ``("within_reach", n, "12 professionnels … à portée")``,
    then one row per rule that excludes someone, then ``("eligible", n, "…")``; the rules' counts
    and the eligible add up to the first row.
    """
    now = now or timezone.now()
    part = _shift_partition(shift, now)
    n = len(part.instance.pros) if len(part.instance.shifts) else 0
    pairs = Pairs(part, np.arange(n, dtype=np.int64), np.zeros(n, np.int64))
    reach = [RULE_BY_CODE[code] for code in REACH_CODES]
    within = np.flatnonzero(~(reach[0].vector(pairs) | reach[1].vector(pairs))) if n else np.zeros(0, np.int64)
    among = [rule for rule in RULES if rule.code not in REACH_CODES]
    first = first_failures(pairs.subset(within), among)
    rows = [("within_reach", len(within), ngettext_lazy(
        "%(n)s professionnel (%(profession)s) à portée", "%(n)s professionnels (%(profession)s) à portée", "n",
    ) % {"n": len(within), "profession": shift.profession})]
    for i, rule in enumerate(among):
        k = int((first == i).sum())
        if k:
            rows.append((rule.code, k, rule.count_phrase(k)))
    eligible = int((first < 0).sum())
    rows.append(("eligible", eligible, ngettext_lazy("%(n)s éligible", "%(n)s éligibles", "n") % {"n": eligible}))
    return rows


def eligible_professionals(*, shift: Shift, now: datetime | None = None) -> list[tuple[Professional, float]]:
    """The professionals every rule allows on ``shift`` (``Stage.OFFER``), best first (nearest, then
    fewer missions and offers that month), with their distance in km."""
    now = now or timezone.now()
    part = _shift_partition(shift, now)
    if len(part.instance.shifts) == 0:
        return []
    ranked = ranked_candidates(part, 0)
    ids = [int(part.instance.pros.ids[p]) for p, _km in ranked]
    found = Professional.objects.select_related("user", "home_commune", "profession").in_bulk(ids)
    return [(found[pk], km) for pk, (_p, km) in zip(ids, ranked, strict=True)]


def explanation_summary(counts: Sequence[tuple[str, int, str]]) -> str:
    """HR's one line: « 12 professionnels (Infirmier) à portée ; 9 exigent un préavis plus long ; … »."""
    return " ; ".join(sentence for code, n, sentence in counts if n or code in ("within_reach", "eligible"))
