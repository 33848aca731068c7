"""Server-side SVG charts: no JavaScript, no CDN, no map tiles; every chart is ``role="img"`` with a
``<title>`` and a ``<desc>``, and the page also shows the same figures as a table.

The map has no département polygons (none ship with the project): each département is a disc at
the centroid of its communes (mean latitude/longitude), shaded by fill rate, labelled with its
code, on an equirectangular projection corrected by cos(mean latitude). Overseas départements
are drawn in a row of insets under mainland France.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

INK, MUTED, GRID = "#1f2933", "#52606d", "#d9e2ec"
POSTED_COLOUR, FILLED_COLOUR = "#52606d", "#0b6e4f"
NO_DATA = "#e4e7eb"
# Fill-rate classes (lower bound, colour): red → blue, readable by colour-blind people (ColorBrewer RdYlBu).
RATE_CLASSES: tuple[tuple[float, str], ...] = (
    (0.0, "#d73027"),
    (0.5, "#fc8d59"),
    (0.7, "#fee090"),
    (0.85, "#91bfdb"),
    (0.95, "#4575b4"),
)


def rate_colour(rate: float | None) -> str:
    if rate is None:
        return NO_DATA
    colour = RATE_CLASSES[0][1]
    for lower, c in RATE_CLASSES:
        if rate >= lower:
            colour = c
    return colour


def percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.0f} %"


def legend_labels() -> list[tuple[str, str]]:
    bounds = [lower for lower, _c in RATE_CLASSES] + [None]
    labels = []
    for (lower, colour), upper in zip(RATE_CLASSES, bounds[1:], strict=True):
        text = _("%(a)s à %(b)s %%") % {"a": round(lower * 100), "b": round(upper * 100)} if upper else _("%(a)s %% et plus") % {"a": round(lower * 100)}
        labels.append((colour, text))
    labels.append((NO_DATA, _("aucun poste publié")))
    return labels


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> str:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMidYMid meet">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>',
        w=width, h=height, id=chart_id, title=title, desc=desc,
    )


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover


def trend_svg(weeks: Sequence[tuple[date, int, int]], chart_id: str = "trend") -> SafeString:
    """Two lines, positions posted and filled per week (weeks start on Monday)."""
    width, height, left, right, top, bottom = 720, 280, 56, 16, 36, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max([p for _w, p, _f in weeks] + [f for _w, _p, f in weeks] + [1]))
    n = len(weeks)

    def x(i: int) -> float:
        return left + (plot_w * (i / (n - 1)) if n > 1 else plot_w / 2)

    def y(v: float) -> float:
        return top + plot_h - plot_h * v / top_value

    total_posted = sum(p for _w, p, _f in weeks)
    total_filled = sum(f for _w, _p, f in weeks)
    desc = _(
        "%(n)s semaines du %(first)s au %(last)s : %(posted)s postes publiés, %(filled)s pourvus au total."
    ) % {
        "n": n, "first": weeks[0][0].strftime("%d/%m/%Y") if weeks else "—",
        "last": weeks[-1][0].strftime("%d/%m/%Y") if weeks else "—", "posted": total_posted, "filled": total_filled,
    }
    parts = [_open(chart_id, _("Postes publiés et pourvus par semaine"), desc, width, height)]
    for k in range(5):
        value = top_value * k / 4
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" y2="{y(value):.1f}" stroke="{GRID}"/>'
            f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" font-size="12" fill="{MUTED}">'
            f"{value:g}</text>"
        )
    step = max(1, math.ceil(n / 10))
    for i, (week, _p, _f) in enumerate(weeks):
        if i % step == 0:
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 18}" text-anchor="middle" font-size="12" '
                f'fill="{MUTED}">{week:%d/%m}</text>'
            )
    for series, colour, dash in ((1, POSTED_COLOUR, "6 4"), (2, FILLED_COLOUR, "")):
        points = " ".join(f"{x(i):.1f},{y(row[series]):.1f}" for i, row in enumerate(weeks))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2.5"{dash_attr} points="{points}"/>')
        for i, row in enumerate(weeks):
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(row[series]):.1f}" r="3" fill="{colour}"/>')
    legend = (
        (POSTED_COLOUR, "6 4", _("postes publiés")),
        (FILLED_COLOUR, "", _("postes pourvus")),
    )
    lx = left
    for colour, dash, label in legend:
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{lx}" x2="{lx + 28}" y1="16" y2="16" stroke="{colour}" stroke-width="2.5"{dash_attr}/>'
            f'<text x="{lx + 34}" y="20" font-size="13" fill="{INK}">{escape(label)}</text>'
        )
        lx += 190
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above


@dataclass(frozen=True)
class Bar:
    label: str
    rate: float | None
    posted: int
    filled: int


def bars_svg(bars: Sequence[Bar], chart_id: str = "bars", title: str = "") -> SafeString:
    """Horizontal bars of fill rate, one per row, with the count behind each rate."""
    row_h, label_w, value_w, width = 30, 170, 120, 520
    plot_w = width - label_w - value_w
    height = 24 + row_h * max(len(bars), 1)
    desc = "; ".join(f"{b.label} : {percent(b.rate)} ({b.filled}/{b.posted})" for b in bars) or _("aucune donnée")
    parts = [_open(chart_id, title or _("Taux de pourvoi par département"), desc, width, height)]
    for k in range(5):
        gx = label_w + plot_w * k / 4
        parts.append(
            f'<line x1="{gx:.1f}" x2="{gx:.1f}" y1="16" y2="{height}" stroke="{GRID}"/>'
            f'<text x="{gx:.1f}" y="12" text-anchor="middle" font-size="11" fill="{MUTED}">{k * 25} %</text>'
        )
    for i, bar in enumerate(bars):
        top = 24 + i * row_h
        w = plot_w * (bar.rate or 0)
        parts.append(
            f'<text x="{label_w - 8}" y="{top + 19}" text-anchor="end" font-size="13" fill="{INK}">'
            f"{escape(bar.label[:22])}</text>"
            f'<rect x="{label_w}" y="{top + 4}" width="{w:.1f}" height="{row_h - 10}" fill="{rate_colour(bar.rate)}" '
            f'stroke="{INK}" stroke-width="0.5"/>'
            f'<text x="{label_w + plot_w + 8}" y="{top + 19}" font-size="13" fill="{INK}">'
            f"{percent(bar.rate)} ({bar.filled}/{bar.posted})</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - labels escaped above


@dataclass(frozen=True)
class MapPoint:
    code: str
    name: str
    lat: float
    lon: float
    rate: float | None
    posted: int


def _is_overseas(point: MapPoint) -> bool:
    return point.lat < 35 or point.lon < -10  # Antilles, Guyane, Réunion, Mayotte


def map_svg(points: Sequence[MapPoint], chart_id: str = "map") -> SafeString:
    """Discs at département centroids, shaded by fill rate, with a legend."""
    width, map_h, inset_h, legend_h = 640, 520, 70, 40
    mainland = [p for p in points if not _is_overseas(p)]
    overseas = [p for p in points if _is_overseas(p)]
    height = legend_h + map_h + (inset_h if overseas and mainland else 0)
    pad = 40
    parts = []
    shown = sorted(points, key=lambda p: p.code)
    desc = "; ".join(f"{p.code} {p.name} : {percent(p.rate)}" for p in shown) or _("aucune donnée")
    if not mainland:  # an overseas region: its départements side by side
        mainland, overseas, height = [], overseas, legend_h + inset_h + 40
    parts.append(_open(chart_id, _("Carte des départements selon le taux de pourvoi"), desc, width, height))
    if mainland:
        lat0 = sum(p.lat for p in mainland) / len(mainland)
        kx = math.cos(math.radians(lat0))
        xs = [p.lon * kx for p in mainland]
        ys = [-p.lat for p in mainland]
        span = max(max(xs) - min(xs), max(ys) - min(ys), 0.5)
        scale = min((width - 2 * pad), (map_h - 2 * pad)) / span
        cx = (max(xs) + min(xs)) / 2
        cy = (max(ys) + min(ys)) / 2
        radius = 18 if len(mainland) < 20 else 11
        for p in mainland:
            px = width / 2 + (p.lon * kx - cx) * scale
            py = legend_h + map_h / 2 + (-p.lat - cy) * scale
            parts.append(_disc(p, px, py, radius))
    if overseas:
        base = height - inset_h / 2
        gap = width / (len(overseas) + 1)
        for i, p in enumerate(sorted(overseas, key=lambda q: q.code)):
            parts.append(_disc(p, gap * (i + 1), base, 16))
        if mainland:
            parts.append(
                f'<line x1="10" x2="{width - 10}" y1="{height - inset_h}" y2="{height - inset_h}" stroke="{GRID}"/>'
            )
    lx = 8
    for colour, label in legend_labels():
        parts.append(
            f'<rect x="{lx}" y="8" width="14" height="14" fill="{colour}" stroke="{INK}" stroke-width="0.5"/>'
            f'<text x="{lx + 18}" y="20" font-size="12" fill="{INK}">{escape(label)}</text>'
        )
        lx += 18 + 7 * len(label) + 14
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - labels escaped in _disc and above


def _disc(p: MapPoint, x: float, y: float, r: int) -> str:
    label = f"{p.code} {p.name} : {percent(p.rate)} ({p.posted} postes)"
    return (
        f'<g><title>{escape(label)}</title>'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{rate_colour(p.rate)}" stroke="{INK}" stroke-width="1"/>'
        f'<text x="{x:.1f}" y="{y + r + 14:.1f}" text-anchor="middle" font-size="{14 if r > 12 else 11}" '
        f'fill="{INK}">'
        f"{escape(p.code)}</text></g>"
    )
