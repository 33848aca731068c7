"""Dashboard pages and exports: region isolation, bad input, exports that open, constant query counts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from dashboards.services import aggregates_rebuild, availability_refresh
from dashboards.tables import EXPORTABLE
from missions.core.models import MissionState
from tests.dashboards.conftest import MENDE, MONTPELLIER, PARIS

PAGES = ("dashboards:overview", "dashboards:establishments", "dashboards:shortages")


def all_urls(scope: str) -> list[str]:
    urls = [reverse(name, args=[scope]) for name in PAGES]
    urls += [reverse("dashboards:export", args=[scope, table, fmt]) for table in EXPORTABLE for fmt in ("csv", "xlsx")]
    return urls


def build(world, n_shifts: int, prefix: str = "") -> None:
    chu = world.establishment(f"{prefix}CHU Montpellier", MONTPELLIER, "CHU")
    mende = world.establishment(f"{prefix}CH Mende", MENDE, "CH")
    paris = world.establishment(f"{prefix}CH Paris", PARIS, "CH")
    pros = [world.professional(MONTPELLIER) for _ in range(3)]
    for i in range(n_shifts):
        for estab in (chu, mende, paris):
            shift = world.shift(estab, day=(i % 50) - 25, positions=2, urgent=i % 4 == 0, profession="60" if i % 3 else "10")
            world.mission(shift, pros[i % 3], state=MissionState.DONE if i % 2 else MissionState.BOOKED, km=str(i % 70))
        world.availability(pros[i % 3], (i % 25) + 1, "D" if i % 2 else "N") if i < 50 else None
    aggregates_rebuild()
    availability_refresh()


@pytest.fixture
def data(world):
    build(world, 6)
    return world


def test_ars_sees_own_region_only(client, data):
    ars = data.ars("76")
    client.force_login(ars)
    for url in all_urls("76"):
        assert client.get(url).status_code == 200, url
    for url in all_urls("11") + all_urls("fr") + all_urls("93"):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("dashboards:home")).url == reverse("dashboards:overview", args=["76"])


def test_other_roles_get_404_and_anonymous_login(client, data):
    for url in all_urls("76"):
        assert client.get(url).status_code == 302  # to the login page
    client.force_login(data.professional().user)
    for url in [*all_urls("76"), reverse("dashboards:home")]:
        assert client.get(url).status_code == 404, url


def test_staff_picks_any_region_and_the_national_view(client, data):
    client.force_login(data.user(is_staff=True))
    home = client.get(reverse("dashboards:home"))
    assert home.status_code == 200 and "France entière" in home.content.decode()
    for url in all_urls("11") + all_urls("fr"):
        assert client.get(url).status_code == 200, url
    assert client.get(reverse("dashboards:overview", args=["99"])).status_code == 404


def test_overview_page_shows_the_figures_and_charts(client, data):
    client.force_login(data.ars("76"))
    html = client.get(reverse("dashboards:overview", args=["76"])).content.decode()
    assert html.count('role="img"') == 3 and "<title id=" in html and "<desc id=" in html
    assert "Lozère" in html and "Hérault" in html and "Paris" not in html.split("<main")[1].split("</main>")[0]
    assert "ETP mobilisés" in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"start": "2026-05-01", "end": "2026-04-01"}, "précède son début"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "dépasser 3 ans"),
        ({"departement": "75"}, "Département inconnu"),
        ({"departement": "<script>"}, "Département inconnu"),
        ({"profession": "99"}, "Profession inconnue"),
        ({"start": "2026-13-45"}, "Date de début invalide"),
        ({"end": "hier"}, "Date de fin invalide"),
        # far from today: the weekly trend would overflow near year 9999 (it was a 500)
        ({"start": "9999-12-01", "end": "9999-12-31"}, "Choisissez une date entre le"),
        ({"start": "0001-01-01", "end": "0001-01-31"}, "Choisissez une date entre le"),
    ],
)
def test_bad_input_gives_a_clear_message(client, data, params, message):
    client.force_login(data.ars("76"))
    for name in PAGES:
        response = client.get(reverse(name, args=["76"]), params)
        assert response.status_code == 400
        assert message in response.content.decode()
        assert "<script>" not in response.content.decode().split("<main")[1]
    for table in ("departements", "tendance"):
        export = client.get(reverse("dashboards:export", args=["76", table, "csv"]), params)
        assert export.status_code == 400 and message in export.content.decode()


def test_exports_open_with_csv_and_openpyxl_with_filters_applied(client, data):
    client.force_login(data.ars("76"))
    start, end = data.today - timedelta(days=20), data.today + timedelta(days=20)
    params = {"start": start.isoformat(), "end": end.isoformat(), "departement": "48"}
    for table in EXPORTABLE:
        response = client.get(reverse("dashboards:export", args=["76", table, "csv"]), params)
        assert response.status_code == 200
        disposition = response["Content-Disposition"]
        assert f"{start.isoformat()}_{end.isoformat()}_dep48" in disposition and disposition.endswith('.csv"')
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
        assert len(rows[0]) >= 4
        if table == "departements":
            assert [r[0] for r in rows[1:]] == ["48 Lozère"]
        xlsx = client.get(reverse("dashboards:export", args=["76", table, "xlsx"]), params)
        assert xlsx["Content-Disposition"].endswith('.xlsx"')
        book = load_workbook(io.BytesIO(xlsx.content))
        sheet = book.worksheets[0]
        values = list(sheet.values)
        assert [str(v) for v in values[0]] == [h.removesuffix(" (%)") for h in rows[0]]
        assert len(values) == len(rows)
        assert ("Département", "48") in list(book["filtres"].values)
    dep = load_workbook(io.BytesIO(client.get(
        reverse("dashboards:export", args=["76", "departements", "xlsx"]), params).content)).worksheets[0]
    header = [c.value for c in dep[1]]
    posted, filled, rate = (dep.cell(row=2, column=header.index(h) + 1).value
                            for h in ("Postes publiés", "Postes pourvus", "Taux de pourvoi"))
    assert isinstance(posted, int) and rate == pytest.approx(filled / posted)


def _count(client, url) -> int:
    client.get(url)  # warm caches (geography centroids) once
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_does_not_depend_on_data_size(client, world, django_assert_max_num_queries):
    build(world, 3, prefix="a")
    agent, staff = world.ars("76"), world.user(is_staff=True)
    urls = [(agent, url) for url in all_urls("76")] + [(staff, url) for url in all_urls("fr")]
    year = f"?start={(world.today - timedelta(days=365)).isoformat()}&end={world.today.isoformat()}"
    urls += [(staff, reverse("dashboards:overview", args=["fr"]) + year)]
    small = {}
    for user, url in urls:
        client.force_login(user)
        small[url] = _count(client, url)
    build(world, 120, prefix="b")  # 40× the shifts, more establishments and professionals
    for user, url in urls:
        client.force_login(user)
        with django_assert_max_num_queries(small[url]):
            client.get(url)
    # The bound holds for PostgreSQL, where the rollups answer; the embedded SQLite set-up reads
    # the daily rows for some periods (more queries, still constant as data grows: checked above).
    if connection.vendor == "postgresql":
        assert max(small.values()) <= 20, small


def test_xlsx_keeps_types_and_formats(client, data):
    """The workbook is written as SpreadsheetML text: check what a spreadsheet relies on."""
    client.force_login(data.ars("76"))
    book = load_workbook(io.BytesIO(client.get(reverse("dashboards:export", args=["76", "tendance", "xlsx"])).content))
    sheet = book["tendance"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b and sheet["A1"].value == "Semaine du"
    weeks = [row for row in sheet.iter_rows(min_row=2) if row[1].value]
    assert weeks and all(row[0].is_date and row[0].number_format == "DD/MM/YYYY" for row in weeks)
    assert all(isinstance(row[1].value, int) and row[3].number_format == "0.0%" for row in weeks)
    assert weeks[0][0].value.weekday() == 0  # a Monday, as a date
    empty = [row for row in sheet.iter_rows(min_row=2) if not row[1].value]
    assert all(row[3].value is None for row in empty)  # no rate without posted positions


def test_a_formula_like_name_is_exported_as_text(client, data):
    """OWASP's CSV injection: an establishment named like a formula stays text in both exports."""
    from establishments.models import Establishment

    formula = '=HYPERLINK("https://evil.test","Cliquez")'
    target = Establishment.objects.filter(commune__departement__region_id="76").first()
    Establishment.objects.filter(pk=target.pk).update(name=formula)  # as a registration could name it
    client.force_login(data.ars("76"))
    url = reverse("dashboards:export", args=["76", "etablissements", "csv"])
    rows = list(csv.reader(io.StringIO(client.get(url).content.decode("utf-8-sig")), delimiter=";"))
    cells = [cell for row in rows for cell in row if "HYPERLINK" in cell]
    assert cells == ["'" + formula]
    book = load_workbook(io.BytesIO(client.get(reverse("dashboards:export", args=["76", "etablissements", "xlsx"])).content))
    found = [c for row in book.worksheets[0].iter_rows() for c in row if c.value and "HYPERLINK" in str(c.value)]
    assert [(c.value, c.data_type) for c in found] == [(formula, "s")]  # a string cell, not a formula ("f")
