"""The overview map: one shaded département outline per département of the region, fitting 360 px."""

from __future__ import annotations

import json
import re
from pathlib import Path

from django.urls import reverse
from django.utils import translation

from dashboards import charts
from dashboards.services import aggregates_rebuild
from territories.models import Departement
from tests.dashboards.test_pages import build

SAINT_DENIS = "97411"  # La Réunion (region 04)

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


OVERSEAS = {"971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion", "976": "Mayotte"}


def inset_names(svg: str) -> list[str]:
    """The names written in the inset boxes, in order (a box: a rect, then a titled path and its name)."""
    return re.findall(r'<rect [^>]*/><g><title>[^<]*</title><path [^>]*transform="[^"]+"/><text [^>]*>([^<]*)</text></g>', svg)


def test_every_departement_has_a_vendored_outline_with_its_source_and_licence(db):
    codes = set(Departement.objects.values_list("code", flat=True))
    metropolitan, overseas = set(charts.departement_shapes()), set(charts.overseas_shapes())
    assert metropolitan | overseas == codes and not metropolitan & overseas and overseas == set(OVERSEAS)
    data = json.loads(charts.OVERSEAS_SHAPES_FILE.read_text(encoding="utf-8"))
    assert "IGN" in data["source"] and "ADMIN EXPRESS" in data["source"] and data["licence"] == "etalab-2.0"
    licence = (charts.DATA / "LICENCE-departements-outre-mer.md").read_text(encoding="utf-8")
    assert "LICENCE OUVERTE 2.0" in licence and "gregoiredavid/france-geojson" in licence
    assert charts.OVERSEAS_SHAPES_FILE.stat().st_size < 40_000  # simplified: only what an inset needs
    for shape in charts.overseas_shapes().values():
        assert max(shape.width, shape.height) == 100 and shape.path.startswith("M") and shape.path.endswith("Z")


def test_overseas_region_draws_its_departement_as_a_shape_in_a_named_box():
    svg = charts.map_svg([charts.MapPoint("974", "La Réunion", 0.6, 10)])
    assert svg.count("<path") == 1 and "<circle" not in svg and svg.count("<rect") == 1
    assert inset_names(svg) == ["La Réunion"]
    assert "974 La Réunion : 60 % (10 postes)" in svg and f'fill="{charts.rate_colour(0.6)}"' in svg
    # The box fills the figure: the viewBox is hardly wider than the box itself.
    _x, _y, width, _h = map(float, re.search(r'viewBox="([^"]+)"', svg).group(1).split())
    box_width = float(re.search(r'<rect [^>]* width="([\d.]+)"', svg).group(1))
    assert box_width > 0.9 * width


def test_national_map_draws_every_metropolitan_outline_and_overseas_insets():
    points = [charts.MapPoint(code, code, None, 0) for code in charts.departement_shapes()]
    rates = dict(zip(OVERSEAS, (1.0, 0.6, None, 0.3, 0.9), strict=True))
    points += [charts.MapPoint(code, name, rates[code], 3) for code, name in OVERSEAS.items()]
    svg = charts.map_svg(points)
    assert svg.count("<path") == 96 + 5 and "<circle" not in svg
    assert inset_names(svg) == list(OVERSEAS.values())  # one box each, named, in code order
    for code, name in OVERSEAS.items():
        fill = re.search(rf"<title>{code} {name} : [^<]*</title><path [^>]*fill=\"(#[0-9a-f]{{6}})\"", svg).group(1)
        assert fill == charts.rate_colour(rates[code])  # shaded by fill rate like the others
    # The insets sit under metropolitan France, inside the viewBox.
    x, y, width, height = map(float, re.search(r'viewBox="([^"]+)"', svg).group(1).split())
    boxes = [tuple(map(float, m)) for m in re.findall(r'<rect x="([\d.-]+)" y="([\d.-]+)" width="([\d.]+)" height="([\d.]+)"', svg)]
    assert len(boxes) == 5 and len({by for _bx, by, _w, _h in boxes}) == 1
    _x0, _y0, _x1, metro_bottom = charts._bounds(list(charts.departement_shapes()))
    assert all(by > metro_bottom and x <= bx and bx + w <= x + width and by + h <= y + height for bx, by, w, h in boxes)


def test_the_map_tooltip_counts_positions():
    with translation.override("fr"):
        labels = [charts._map_label(charts.MapPoint("974", "La Réunion", None, n)) for n in (0, 1, 2)]
        assert labels == ["974 La Réunion : — (0 poste)", "974 La Réunion : — (1 poste)", "974 La Réunion : — (2 postes)"]
    with translation.override("en"):
        labels = [charts._map_label(charts.MapPoint("974", "La Réunion", None, n)) for n in (0, 1, 2)]
        assert labels == ["974 La Réunion: — (0 positions)", "974 La Réunion: — (1 position)", "974 La Réunion: — (2 positions)"]


def test_an_overseas_region_page_shows_its_departement_shaded_in_its_box(client, world):
    reunion = world.establishment("CHU La Réunion", SAINT_DENIS, "CHU")
    pro = world.professional(SAINT_DENIS)
    world.mission(world.shift(reunion, day=-3, positions=2), pro)
    aggregates_rebuild()
    client.force_login(world.ars("04"))
    html = client.get(reverse("dashboards:overview", args=["04"])).content.decode()
    svg = map_of(html)
    assert inset_names(svg) == ["La Réunion"] and svg.count("<path") == 1
    assert f'fill="{charts.rate_colour(0.5)}"' in svg  # 1 of 2 positions filled
    assert "width=" not in svg.split(">", 1)[0].replace("stroke-width", "")  # sized by CSS only
    assert "chaque département d'outre-mer a son encadré" in html.replace("&#x27;", "'") and "disque" not in html
