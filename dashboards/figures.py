"""The indicators, computed from summed counters (pure Python: no database, no Django models).

Conventions (also in docs/dashboards.md):

* **fill rate** = filled positions / posted positions (positions of published shifts);
* **FTE mobilised** = hours of missions done / (1,607 h × days / 365): 1,607 h is the legal
  yearly working time of a full-time employee in France (35 h × 52 weeks − holidays, with the
  "journée de solidarité"); the days are those of the period already elapsed (up to today),
  since hours in the future cannot have been worked yet;
* **medians** (time-to-fill posting → booking, travel km) come from per-day histograms summed
  over the period and read with the grouped-median formula ``L + (n/2 − F) / f × w`` inside the
  bucket holding the middle mission; a median in the last, open bucket is its lower bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields

from dashboards.models import COUNT_FIELDS, KM_BOUNDS, KM_FIELDS, TTF_BOUNDS_HOURS, TTF_FIELDS

FTE_HOURS_PER_YEAR = 1607
SCALARS = tuple(f for f in COUNT_FIELDS if f not in TTF_FIELDS and f not in KM_FIELDS)


def histogram_median(counts: Sequence[int], bounds: Sequence[float]) -> float | None:
    """Grouped median of a histogram whose buckets are [0, b0), [b0, b1), …, [b_last, ∞)."""
    n = sum(counts)
    if n == 0:
        return None
    half = n / 2
    below = 0
    edges = [0, *bounds]
    for i, count in enumerate(counts):
        if count and below + count >= half:
            if i == len(bounds):
                return float(edges[i])
            width = edges[i + 1] - edges[i]
            return edges[i] + (half - below) / count * width
        below += count
    return float(edges[-1])  # pragma: no cover - the loop always reaches half


def fte(hours: float, days: int) -> float | None:
    if days <= 0:
        return None
    return hours / (FTE_HOURS_PER_YEAR * days / 365)


@dataclass
class Figures:
    """Summed counters of some slice (a territory, a profession, an establishment) over a period."""

    posted: int = 0
    urgent_posted: int = 0
    withdrawn: int = 0
    filled: int = 0
    urgent_filled: int = 0
    done: int = 0
    no_show: int = 0
    cancelled_by_pro: int = 0
    cancelled_by_estab: int = 0
    cancelled_by_platform: int = 0
    minutes_filled: int = 0
    minutes_done: int = 0
    km_tenths: int = 0
    ttf: list[int] = field(default_factory=lambda: [0] * len(TTF_FIELDS))
    km: list[int] = field(default_factory=lambda: [0] * len(KM_FIELDS))
    # Not summable from rows: set by the selector.
    urgent_unfilled_7d: int = 0
    active_professionals: int | None = None
    elapsed_days: int = 0

    @classmethod
    def from_row(cls, row: Mapping[str, int | None]) -> Figures:
        return cls(
            **{name: int(row.get(name) or 0) for name in SCALARS},
            ttf=[int(row.get(name) or 0) for name in TTF_FIELDS],
            km=[int(row.get(name) or 0) for name in KM_FIELDS],
        )

    def add(self, other: Figures) -> Figures:
        for f in fields(self):
            if f.name in ("active_professionals", "elapsed_days"):
                continue
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            setattr(self, f.name, [a + b for a, b in zip(mine, theirs, strict=True)] if isinstance(mine, list) else mine + theirs)
        return self

    @property
    def fill_rate(self) -> float | None:
        return self.filled / self.posted if self.posted else None

    @property
    def unfilled(self) -> int:
        return max(self.posted - self.filled, 0)

    @property
    def cancelled(self) -> int:
        return self.cancelled_by_pro + self.cancelled_by_estab + self.cancelled_by_platform

    @property
    def hours_done(self) -> float:
        return self.minutes_done / 60

    @property
    def hours_filled(self) -> float:
        return self.minutes_filled / 60

    @property
    def fte(self) -> float | None:
        return fte(self.hours_done, self.elapsed_days)

    @property
    def median_ttf_hours(self) -> float | None:
        return histogram_median(self.ttf, TTF_BOUNDS_HOURS)

    @property
    def median_km(self) -> float | None:
        return histogram_median(self.km, KM_BOUNDS)

    @property
    def mean_km(self) -> float | None:
        return self.km_tenths / 10 / self.filled if self.filled else None
