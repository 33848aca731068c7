"""The overview map: one shaded département outline per département of the region, fitting 360 px."""

from __future__ import annotations

import re
from pathlib import Path

from django.urls import reverse

from dashboards import charts
from territories.models import Departement
from tests.dashboards.test_pages import build

SCALE = {colour for _lower, colour in charts.RATE_CLASSES} | {charts.NO_DATA}
CSS = Path(__file__).resolve().parents[2] / "dashboards" / "static" / "dashboards" / "dashboards.css"


def map_of(html: str) -> str:
    return re.search(r'<svg[^>]*class="chart map".*?</svg>', html, re.S).group(0)


def test_region_map_has_one_titled_shaded_path_per_departement(client, world):
    build(world, 6)
    client.force_login(world.ars("76"))
    html = client.get(reverse("dashboards:overview", args=["76"])).content.decode()
    svg = map_of(html)
    shapes = re.findall(r"<g><title>([^<]*)</title><path d=\"[^\"]+\" fill=\"(#[0-9a-f]{6})\"", svg)
    codes = sorted(label.split()[0] for label, _fill in shapes)
    assert codes == sorted(Departement.objects.filter(region_id="76").values_list("code", flat=True))
    assert len(codes) == 13 and svg.count("<path") == 13
    assert {fill for _label, fill in shapes} <= SCALE
    assert len({fill for _label, fill in shapes}) >= 2  # départements with shifts are shaded apart from empty ones
    assert any("34 Hérault" in label and "%" in label for label, _fill in shapes)


def test_map_fits_a_360_px_screen(client, world):
    build(world, 2)
    client.force_login(world.ars("76"))
    html = client.get(reverse("dashboards:overview", args=["76"])).content.decode()
    svg_open = map_of(html).split(">", 1)[0]
    assert re.search(r'viewBox="-?[\d.]+ -?[\d.]+ [\d.]+ [\d.]+"', svg_open)
    assert "width=" not in svg_open.replace("stroke-width", "")  # sized by CSS only
    assert re.search(r"\.chart\s*\{[^}]*width:\s*100%", CSS.read_text())
    figure = re.search(r'<figure class="([^"]*)"[^>]*aria-labelledby="map-h"', html).group(1)
    assert "wide" not in figure  # no min-width: the map scales down to the column
    assert 'class="map-legend"' in html


def test_overseas_region_draws_its_departement_as_an_inset():
    svg = charts.map_svg([charts.MapPoint("974", "La Réunion", 0.6, 10)])
    assert "<path" not in svg and svg.count("<circle") == 1
    assert "974 La Réunion : 60 %" in svg and charts.rate_colour(0.6) in svg


def test_national_map_draws_every_metropolitan_outline_and_overseas_insets():
    points = [charts.MapPoint(code, code, None, 0) for code in charts.departement_shapes()]
    points.append(charts.MapPoint("971", "Guadeloupe", 1.0, 3))
    svg = charts.map_svg(points)
    assert svg.count("<path") == 96 and svg.count("<circle") == 1
