"""Server-side SVG charts: no JavaScript, no CDN, no map tiles; every chart is ``role="img"`` with a
``<title>`` and a ``<desc>``, and the page also shows the same figures as a table.

The map draws each département's outline (vendored in territories/data), shaded by fill rate:
metropolitan France as projected by its source, each overseas département at its own scale in a
named inset box, in a row under metropolitan France (or alone, for an overseas region).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.utils.formats import date_format, get_format
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

INK, MUTED, GRID = "#1f2933", "#52606d", "#d9e2ec"
POSTED_COLOUR, FILLED_COLOUR = "#52606d", "#0b6e4f"
NO_DATA = "#e4e7eb"
# Metropolitan outlines (CC BY 4.0, see the README's "Data and attribution"), built by build_departements.py.
DATA = Path(__file__).resolve().parent.parent / "territories" / "data"
SHAPES_FILE = DATA / "departements_paths.json"
# Overseas outlines (IGN ADMIN EXPRESS, Licence Ouverte: LICENCE-departements-outre-mer.md), same script.
OVERSEAS_SHAPES_FILE = DATA / "departements_outre_mer_paths.json"
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


def short_day(day: date) -> str:
    """A day and its month, short, as the active language writes them: « 7 déc. », « Dec. 7 » (the
    locale's ``MONTH_DAY_FORMAT`` with the month abbreviated, for the trend chart's axis)."""
    return date_format(day, get_format("MONTH_DAY_FORMAT").replace("F", "N"))


def _open(chart_id: str, title: str, desc: str, width: int, height: int) -> str:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMidYMid meet">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>',
        w=width, h=height, id=chart_id, title=title, desc=desc,
    )


def _open_box(chart_id: str, title: str, desc: str, x: float, y: float, width: float, height: float) -> str:
    """Like ``_open`` with a viewBox in the map's own units (the vendored shapes are not moved)."""
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart map" viewBox="{x} {y} {w} {h}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" preserveAspectRatio="xMidYMid meet">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>',
        x=f"{x:.1f}", y=f"{y:.1f}", w=f"{width:.1f}", h=f"{height:.1f}", id=chart_id, title=title, desc=desc,
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
    # Three counts, each with its own plural (« 1 semaine », « 0 poste publié »).
    desc = " ".join((
        ngettext("%(n)s semaine du %(first)s au %(last)s :", "%(n)s semaines du %(first)s au %(last)s :", n) % {
            "n": n, "first": date_format(weeks[0][0], "DATE_FORMAT") if weeks else "—",
            "last": date_format(weeks[-1][0], "DATE_FORMAT") if weeks else "—",
        },
        ngettext("%(posted)s poste publié,", "%(posted)s postes publiés,", total_posted) % {"posted": total_posted},
        ngettext("%(filled)s pourvu au total.", "%(filled)s pourvus au total.", total_filled) % {"filled": total_filled},
    ))
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
                f'fill="{MUTED}">{escape(short_day(week))}</text>'
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
    rate: float | None
    posted: int


@functools.cache
def departement_shapes() -> dict[str, str]:
    """Metropolitan département code → SVG path (source units), read once from the vendored file."""
    return json.loads(SHAPES_FILE.read_text(encoding="utf-8"))["departements"]


@dataclass(frozen=True)
class InsetShape:
    width: float  # the outline's own frame (its longer side is 100 units)
    height: float
    path: str


@functools.cache
def overseas_shapes() -> dict[str, InsetShape]:
    """Overseas département code → its outline in its own frame, read once from the vendored file."""
    found = {}
    for code, shape in json.loads(OVERSEAS_SHAPES_FILE.read_text(encoding="utf-8"))["departements"].items():
        _x, _y, width, height = (float(v) for v in shape["viewBox"].split())
        found[code] = InsetShape(width, height, shape["path"])
    return found


def _bounds(codes: Sequence[str]) -> tuple[float, float, float, float]:
    """The bounding box of these metropolitan départements (source units)."""
    boxes = [_shape_bounds(code) for code in codes]
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


# The outlines are vendored data: their boxes and label points are computed once per process, not
# on every view of the map (parsing some 100 paths' coordinates was most of the map's drawing time).
@functools.cache
def _shape_bounds(code: str) -> tuple[float, float, float, float]:
    pairs = _PAIR.findall(departement_shapes()[code])
    xs, ys = [float(x) for x, _y in pairs], [float(y) for _x, y in pairs]
    return min(xs), min(ys), max(xs), max(ys)


@functools.cache
def _label_point(code: str) -> tuple[float, float]:
    # The mean of the largest ring's vertices: inside every département shape of the source.
    ring = max(departement_shapes()[code].split("Z"), key=len)
    pairs = [(float(x), float(y)) for x, y in _PAIR.findall(ring)]
    return sum(x for x, _y in pairs) / len(pairs), sum(y for _x, y in pairs) / len(pairs)


_PAIR = re.compile(r"(-?[\d.]+),(-?[\d.]+)")


INSETS_PER_ROW = 5  # the five overseas départements side by side under metropolitan France


def map_svg(points: Sequence[MapPoint], chart_id: str = "map") -> SafeString:
    """The scope's départements as shapes shaded by fill rate, overseas ones each in an inset.

    Metropolitan départements are drawn where the vendored outlines put them; each overseas
    département is drawn at its own scale in a box of its own, with its name, in a row under
    them (as French maps do), or alone for an overseas region. The viewBox is the bounding box of
    what is drawn, so a region fills the figure's width (CSS ``width: 100%``) on any screen from
    360 px. The legend and the table by département are HTML around the figure (readable text, no
    tiny SVG lettering once scaled down).
    """
    shapes = departement_shapes()
    shown = sorted(points, key=lambda p: p.code)
    drawn = [p for p in shown if p.code in shapes]
    insets = [p for p in shown if p.code not in shapes]  # overseas: an inset each
    desc = "; ".join(f"{p.code} {p.name} : {percent(p.rate)}" for p in shown) or _("aucune donnée")
    if drawn:
        x0, y0, x1, y1 = _bounds([p.code for p in drawn])
        span = max(x1 - x0, y1 - y0, 20.0)
        unit = span / 40  # the size of a label, whatever the zoom
    else:  # an overseas region: its inset is the whole figure, its name a heading-sized label
        x0 = y0 = x1 = y1 = 0.0
        span = 100.0
        unit = span / 20
    pad = span * 0.04
    width = (max(x1 - x0, span * 0.6) if drawn else span) + 2 * pad
    gap = pad / 2
    row = max(len(insets), INSETS_PER_ROW if drawn else 1)
    cell = (width - (row + 1) * gap) / row
    name_size = unit * (1.1 if drawn else 1)
    shape_h = cell * 0.8
    box_h = shape_h + 1.8 * name_size
    inset_h = box_h + gap if insets else 0
    top = y0 - pad
    height = (y1 - y0 + 2 * pad if drawn else gap) + inset_h
    parts = [_open_box(chart_id, _("Carte des départements selon le taux de pourvoi"), desc, x0 - pad, top, width, height)]
    for p in drawn:
        lx, ly = _label_point(p.code)
        parts.append(
            f"<g><title>{escape(_map_label(p))}</title>"
            f'<path d="{shapes[p.code]}" fill="{rate_colour(p.rate)}" stroke="{INK}" stroke-width="{unit / 12:.2f}" '
            f'stroke-linejoin="round"/>'
            + (
                f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="middle" dominant-baseline="middle" '
                f'font-size="{unit:.1f}" fill="{INK}" stroke="#fff" stroke-width="{unit / 5:.2f}" '
                f'paint-order="stroke">{escape(p.code)}</text>'
                if len(drawn) <= 30
                else ""
            )
            + "</g>"
        )
    box_top = top + height - inset_h
    for i, p in enumerate(insets):
        bx = x0 - pad + gap + i * (cell + gap)
        parts.append(
            f'<rect x="{bx:.1f}" y="{box_top:.1f}" width="{cell:.1f}" height="{box_h:.1f}" fill="#fff" '
            f'stroke="{MUTED}" stroke-width="{unit / 12:.2f}"/>'
        )
        parts.append(f"<g><title>{escape(_map_label(p))}</title>{_inset(p, bx, box_top, cell, shape_h, unit)}"
                     f'<text x="{bx + cell / 2:.1f}" y="{box_top + box_h - 0.6 * name_size:.1f}" text-anchor="middle" '
                     f'font-size="{name_size:.1f}" fill="{INK}">{escape(p.name)}</text></g>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - names escaped above, paths are vendored numbers


def _inset(p: MapPoint, x: float, y: float, width: float, height: float, unit: float) -> str:
    """The département's outline fitted (centred, with a margin) in the box's drawing area."""
    shape = overseas_shapes().get(p.code)
    margin = width * 0.08
    if shape is None:  # a code with no vendored outline at all: a disc keeps it on the map
        return (f'<circle cx="{x + width / 2:.1f}" cy="{y + height / 2:.1f}" r="{unit:.1f}" fill="{rate_colour(p.rate)}" '
                f'stroke="{INK}" stroke-width="{unit / 12:.2f}"/>')
    scale = min((width - 2 * margin) / shape.width, (height - margin) / shape.height)
    tx = x + (width - shape.width * scale) / 2
    ty = y + margin + (height - margin - shape.height * scale) / 2
    return (
        f'<path d="{shape.path}" fill="{rate_colour(p.rate)}" stroke="{INK}" stroke-width="{unit / 12 / scale:.3f}" '
        f'stroke-linejoin="round" transform="translate({tx:.1f} {ty:.1f}) scale({scale:.4f})"/>'
    )


def _map_label(p: MapPoint) -> str:
    return ngettext(
        "%(code)s %(name)s : %(rate)s (%(posted)s poste)", "%(code)s %(name)s : %(rate)s (%(posted)s postes)", p.posted
    ) % {"code": p.code, "name": p.name, "rate": percent(p.rate), "posted": p.posted}
