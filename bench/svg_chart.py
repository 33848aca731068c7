"""A small hand-written SVG chart of the matching benchmark (no plotting library needed)."""

from __future__ import annotations

import math
from html import escape
from pathlib import Path

#: Each series of bars: (colour, label in the legend).
SERIES = {"engine": ("#1f6f8b", "optimiser (flow + repair)"), "first_come": ("#e07a3f", "first-come baseline")}


def _panel(rows: list[dict], x0: float, y0: float, w: float, h: float, title: str, value, log: bool,
           fmt, top: float | None = None, series: dict[str, tuple[str, str]] = SERIES) -> list[str]:
    """Grouped bars: one group per ``row["config"]``, one bar per ``row["method_name"]`` of ``series``."""
    configs = list(dict.fromkeys(r["config"] for r in rows))
    by = {(r["config"], r["method_name"]): r for r in rows}
    values = [value(r) for r in rows if value(r) is not None and value(r) > 0]
    vmax = max(values) if values else 1.0
    vmin = min(values) if values else 1.0
    lo = 10 ** math.floor(math.log10(vmin)) if log else 0.0
    hi = 10 ** math.ceil(math.log10(vmax)) if log else (top or vmax * 1.15)

    def scale(v: float) -> float:
        if log:
            return h * (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
        return h * v / hi

    out = [f'<text x="{x0}" y="{y0 - 12}" font-size="14" font-weight="bold">{escape(title)}</text>',
           f'<line x1="{x0}" y1="{y0 + h}" x2="{x0 + w}" y2="{y0 + h}" stroke="#333"/>',
           f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y0 + h}" stroke="#333"/>']
    ticks = ([10 ** k for k in range(int(math.log10(lo)), int(math.log10(hi)) + 1)] if log
             else [hi * k / 4 for k in range(5)])
    for t in ticks:
        y = y0 + h - scale(t)
        out.append(f'<line x1="{x0 - 4}" y1="{y:.1f}" x2="{x0 + w}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{fmt(t)}</text>')
    group = w / max(len(configs), 1)
    bar = group * 0.32
    for i, c in enumerate(configs):
        gx = x0 + i * group + group * 0.15
        for k, m in enumerate(series):
            r = by.get((c, m))
            if r is None or value(r) is None:
                continue
            v = value(r)
            bh = scale(v)
            x = gx + k * bar
            out.append(f'<rect x="{x:.1f}" y="{y0 + h - bh:.1f}" width="{bar - 2:.1f}" height="{bh:.1f}" '
                       f'fill="{series[m][0]}"><title>{escape(c)} / {m}: {fmt(v)}</title></rect>')
            out.append(f'<text x="{x + bar / 2 - 1:.1f}" y="{y0 + h - bh - 3:.1f}" font-size="9" '
                       f'text-anchor="middle">{fmt(v)}</text>')
        out.append(f'<text x="{gx + bar:.1f}" y="{y0 + h + 14}" font-size="10" text-anchor="middle">'
                   f'{escape(c)}</text>')
    return out


def write_chart(rows: list[dict], path: Path) -> None:
    width, height = 980, 640
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="DejaVu Sans, Arial, sans-serif">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    parts += _panel(rows, 70, 50, 880, 220, "Solve time, wall clock (s, log scale)",
                    lambda r: r["solve_s"], True, lambda v: f"{v:g}" if v >= 1 else f"{v:.2g}")
    parts += _panel(rows, 70, 360, 880, 220, "Urgent positions filled (urgency ≥ 4, % of urgent positions)",
                    lambda r: 100 * r["urgent_filled"] / max(r["urgent_positions"], 1), False,
                    lambda v: f"{v:.1f}", top=100.0)
    parts += _legend(SERIES, height)
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def _legend(series: dict[str, tuple[str, str]], height: float) -> list[str]:
    out = []
    for k, (color, label) in enumerate(series.values()):
        x = 80 + k * 300
        out.append(f'<rect x="{x}" y="{height - 24}" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{x + 18}" y="{height - 14}" font-size="12">{escape(label)}</text>')
    return out


def write_bars(rows: list[dict], path: Path, *, title: str, series: dict[str, tuple[str, str]], fmt,
               top: float | None = None) -> None:
    """One panel of grouped bars; ``rows`` hold ``group``, ``series`` (a key of ``series``) and ``value``."""
    width, height = 980, 360
    cells = [{"config": r["group"], "method_name": r["series"], "value": r["value"]} for r in rows]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="DejaVu Sans, Arial, sans-serif">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    parts += _panel(cells, 70, 50, 880, 240, title, lambda r: r["value"], False, fmt, top=top, series=series)
    parts += _legend(series, height)
    parts.append("</svg>")
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
