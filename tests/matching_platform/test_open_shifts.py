"""« Vacations ouvertes » (the shifts a professional may see, each with why it was not proposed) and
the « why unfilled » link on HR's board: who sees what, filters, constant query count, accessibility."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from playwright.sync_api import expect

from establishments.models import MemberRole, ShiftState
from territories.geo import haversine_km
from territories.models import Commune
from tests.browser import log_in
from tests.factories import add_member, book, local, make_proposal, make_shift, make_user
from tests.lists import group_headings, monday_of, week_of

MONTPELLIER, MENDE, MARSEILLE = "34172", "48095", "13055"
URL = "/missions/vacations-ouvertes/"


def _scene(world):
    chu = world.estab(MONTPELLIER, name="CHU de Montpellier")
    mende = world.estab(MENDE, name="CH de Mende")
    shifts = {
        "open": world.shift(chu, day=3),
        "offered": world.shift(chu, day=4),
        "urgent": world.shift(mende, day=5, urgent=True),
        "full": world.shift(chu, day=6),
        "cancelled": world.shift(chu, day=7),
        "past": world.shift(chu, day=-3),
        "kine": world.shift(chu, day=3, profession="70"),
        "elsewhere": world.shift(world.estab(MARSEILLE), day=3),
    }
    shifts["cancelled"].state = ShiftState.CANCELLED
    shifts["cancelled"].save()
    alice = world.pro(MONTPELLIER, radius=30)
    book(shifts["full"], world.pro(MONTPELLIER), distance="1.0")
    make_proposal(shifts["offered"], alice, distance="1.0", expires_in=timedelta(hours=12))
    charlie = world.pro(MONTPELLIER, profession="70")
    bob = make_user("bob-rh@example.org")
    add_member(chu, bob, MemberRole.HR)
    return chu, shifts, alice, charlie, bob


def _ids(page) -> set[int]:
    return {shift.pk for shift in page.context["page"]}


def test_alice_sees_her_region_and_profession_open_shifts_with_the_why_link(world, client):
    _chu, shifts, alice, *_ = _scene(world)
    client.force_login(alice.user)
    page = client.get(URL)
    assert page.status_code == 200
    assert _ids(page) == {shifts["open"].pk, shifts["offered"].pk, shifts["urgent"].pk}
    assert [s.pk for s in page.context["page"]] == [shifts[k].pk for k in ("open", "offered", "urgent")]  # soonest
    html = page.content.decode()
    assert f'href="/missions/pourquoi/{shifts["open"].pk}/"' in html
    assert "Pourquoi cette vacation ne m'a-t-elle pas été proposée ?" in html
    # a live offer: a link to the inbox instead of an explanation
    assert f'href="/missions/pourquoi/{shifts["offered"].pk}/"' not in html
    assert 'href="/missions/propositions/"' in html
    # distance from her home commune to Mende, as the crow flies, beyond her 30 km radius
    home, mende = Commune.objects.get(pk=MONTPELLIER), Commune.objects.get(pk=MENDE)
    km = haversine_km(home.latitude, home.longitude, mende.latitude, mende.longitude)
    assert f"{km:.1f}".replace(".", ",") + " km" in html
    assert "au-delà de votre rayon" in html
    assert "CH de Mende" in html and "urgent" in html
    assert client.get(f"/missions/pourquoi/{shifts['open'].pk}/").status_code == 200


def test_filters_and_bad_values(world, client):
    _chu, shifts, alice, *_ = _scene(world)
    client.force_login(alice.user)
    assert _ids(client.get(URL, {"departement": "48"})) == {shifts["urgent"].pk}
    assert _ids(client.get(URL, {"urgent": "1"})) == {shifts["urgent"].pk}
    assert _ids(client.get(URL, {"departement": "34", "urgent": "on"})) == set()
    for bad in ("13", "zz", "<script>"):  # another region's département, nonsense
        page = client.get(URL, {"departement": bad})
        assert page.status_code == 400
        assert "n&#x27;est pas un département de votre région" in page.content.decode()
        assert 'aria-describedby="departement-errors"' in page.content.decode()
        assert len(_ids(page)) == 3  # the bad filter alone is dropped
    for raw in ("0", "-1", "abc", "999", "99999999999999999999"):  # the nearest page, never a 500
        response = client.get(URL, {"page": raw})
        assert response.status_code == 200 and response.context["page"].number == 1, raw


def test_charlie_another_profession_sees_none_of_them_and_gets_404_on_the_explanation(world, client):
    _chu, shifts, _alice, charlie, _bob = _scene(world)
    client.force_login(charlie.user)
    page = client.get(URL)
    assert page.status_code == 200
    assert _ids(page) == {shifts["kine"].pk}
    for key in ("open", "offered", "urgent"):
        assert client.get(f"/missions/pourquoi/{shifts[key].pk}/").status_code == 404


def test_bob_establishment_member_gets_404_and_anonymous_goes_to_login(world, client):
    *_, bob = _scene(world)
    client.force_login(bob)
    assert client.get(URL).status_code == 404  # role_required: the page does not exist for him
    client.logout()
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_links_from_home_and_inbox(world, client):
    _chu, _shifts, alice, *_ = _scene(world)
    client.force_login(alice.user)
    for url in ("/missions/propositions/", "/pro/"):
        page = client.get(url, follow=True)
        assert page.status_code == 200
        assert f'href="{URL}"' in page.content.decode(), url


def test_query_count_does_not_grow_with_the_shifts(world, client):
    chu = world.estab(MONTPELLIER)
    mende = world.estab(MENDE)
    alice = world.pro(MONTPELLIER)
    client.force_login(alice.user)

    def add(n: int) -> None:
        for i in range(n):
            shift = world.shift(mende if i % 2 else chu, day=3 + i, urgent=i % 3 == 0)
            if i % 4 == 0:
                make_proposal(shift, alice, distance="1.0", expires_in=timedelta(hours=12))

    add(2)
    client.get(URL)  # warm the per-process caches (ContentType, site…)
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(URL).context["page"]) == 2
    add(23)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).context["page"]) == 20
    assert len(many) == len(few), [q["sql"][:120] for q in many]


def test_hr_board_links_why_unfilled_for_open_shifts_only(world, client):
    chu, shifts, _alice, _charlie, bob = _scene(world)
    client.force_login(bob)
    page = client.get(f"/missions/rh/etablissement/{chu.pk}/vacations/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Pourquoi cette vacation n'est-elle pas pourvue ?" in html
    for key in ("open", "offered"):
        assert f'href="/missions/rh/shifts/{shifts[key].pk}/pourquoi/"' in html
    for key in ("full", "cancelled"):
        assert f'href="/missions/rh/shifts/{shifts[key].pk}/pourquoi/"' not in html
    assert client.get(f"/missions/rh/shifts/{shifts['open'].pk}/pourquoi/").status_code == 200


def test_hr_board_query_count_does_not_grow_with_the_cards(world, client):
    chu = world.estab(MONTPELLIER)
    hr = make_user("rh-count@example.org")
    add_member(chu, hr, MemberRole.HR)
    client.force_login(hr)
    url = f"/missions/rh/etablissement/{chu.pk}/vacations/"
    for day in (3, 4):
        world.shift(chu, day=day)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).content.decode().count("pas pourvue ?") == 2
    for day in range(5, 25):
        world.shift(chu, day=day)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).content.decode().count("pas pourvue ?") == 22
    assert len(many) == len(few)


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
def test_open_shifts_page_is_accessible(live_world, page, live_server, axe, width):
    _chu, shifts, alice, *_ = _scene(live_world)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, live_server.url, alice.user.email)
    page.goto(f"{live_server.url}/pro/")
    page.get_by_role("link", name="Vacations ouvertes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vacations ouvertes")
    expect(page.locator("article.shift")).to_have_count(3)
    assert axe() == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_label("Département").select_option("48")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("article.shift")).to_have_count(1)
    assert axe() == []
    page.locator(f"#shift-{shifts['urgent'].pk}").get_by_role("link", name="Pourquoi").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pourquoi")
    assert axe() == []


def test_open_shifts_are_grouped_by_week_soonest_first(world, client):
    chu = world.estab(MONTPELLIER)
    alice = world.pro(MONTPELLIER)
    today = timezone.localdate()
    monday = monday_of(today)
    tomorrow = make_shift(chu, by=world.hr, starts_at=local(today + timedelta(days=1), 20))
    next_week = make_shift(chu, by=world.hr, starts_at=local(monday + timedelta(days=8), 8))
    later = make_shift(chu, by=world.hr, starts_at=local(monday + timedelta(days=16), 8))
    client.force_login(alice.user)
    response = client.get(URL)
    html = response.content.decode()
    if monday_of(today + timedelta(days=1)) == monday:  # tomorrow is still this week
        expected = [("Cette semaine", [tomorrow]), ("La semaine prochaine", [next_week])]
    else:  # today is a Sunday
        expected = [("La semaine prochaine", [tomorrow, next_week])]
    expected.append((week_of(monday + timedelta(days=14)), [later]))
    assert group_headings(html, level=2) == [heading for heading, _ in expected]
    assert [[s.pk for s in week.rows] for week in response.context["weeks"]] == [
        [s.pk for s in rows] for _, rows in expected
    ]
    assert f'<h3 id="shift-title-{later.pk}">' in html and 'id="filtres"' in html
