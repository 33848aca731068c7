"""HR's board for triage: urgent shifts still to fill first, then by start; the banner « N postes
urgents non pourvus dans les 48 h » on the establishment's home; queries per page do not grow."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from missions.services.urgent import urgent_shift_match
from tests.factories import book, make_proposal

from .conftest import nurse, nurses

BOARD = "/missions/rh/etablissement/{}/vacations/"
HOME = "/etablissement/{}/"


def test_unfilled_urgent_shifts_come_first_then_by_start(scene, pin, client):
    pin(7)
    filled_tonight = scene.shift()
    book(filled_tonight, nurse(shift=filled_tonight))
    open_tomorrow_night = scene.shift(day=1)  # within 48 h: urgent
    plain_in_3_days = scene.shift(day=3, night=False)
    flagged_in_6_days = scene.shift(day=6, urgent=True)
    plain_in_5_days = scene.shift(day=5, night=False)
    client.force_login(scene.alice)
    page = client.get(BOARD.format(scene.chu.pk))
    order = [shift.pk for shift in page.context["page"]]
    assert order == [open_tomorrow_night.pk, flagged_in_6_days.pk,  # to fill, urgent: first, by start
                     filled_tonight.pk, plain_in_3_days.pk, plain_in_5_days.pk]
    html = page.content.decode()
    assert html.count("card shift shift-triage") == 2
    assert f'href="/missions/rh/vacations/{open_tomorrow_night.pk}/pourvoir/"' in html
    assert f'href="/missions/rh/vacations/{filled_tonight.pk}/pourvoir/"' not in html


def test_the_banner_counts_positions_to_fill_within_48h(scene, pin, client):
    pin(7)
    tonight = scene.shift(positions=2)
    tomorrow = scene.shift(day=1, positions=2)
    book(tomorrow, nurse(shift=tomorrow))
    scene.shift(day=3, urgent=True)  # urgent, but not within 48 h: not in the count
    filled = scene.shift(day=1, night=False)
    book(filled, nurse(shift=filled))
    for user in (scene.alice, scene.bob):  # the viewer reads it too
        client.force_login(user)
        html = client.get(HOME.format(scene.chu.pk)).content.decode()
        assert "3 postes urgents non pourvus dans les 48 h" in html
        assert f'href="{BOARD.format(scene.chu.pk)}"' in html
    book(tonight, nurse(shift=tonight))
    html = client.get(HOME.format(scene.chu.pk)).content.decode()
    assert "2 postes urgents non pourvus dans les 48 h" in html
    book(tonight, nurse(shift=tonight))
    book(tomorrow, nurse(shift=tomorrow))
    html = client.get(HOME.format(scene.chu.pk)).content.decode()
    assert "non pourvu" not in html
    client.force_login(scene.charlie)
    assert client.get(BOARD.format(scene.chu.pk)).status_code == 404
    html = client.get(HOME.format(scene.other.pk)).content.decode()
    assert "non pourvu" not in html  # another establishment's shifts are not charlie's


def test_one_position_reads_in_the_singular(scene, pin, client):
    pin(7)
    scene.shift()
    client.force_login(scene.alice)
    assert "1 poste urgent non pourvu dans les 48 h" in client.get(HOME.format(scene.chu.pk)).content.decode()


def test_queries_per_page_do_not_grow_with_the_shifts_and_their_offers(scene, pin, client,
                                                                         django_assert_max_num_queries):
    pin(7)

    def add(days):
        for day in days:
            shift = scene.shift(day=day, positions=2)
            for pro in nurses(shift, 2):
                make_proposal(shift, pro)
            if day % 2:
                book(shift, nurse(shift=shift))
            urgent_shift_match(shift=shift)

    add([0, 1])
    client.force_login(scene.alice)
    url = BOARD.format(scene.chu.pk)
    client.get(url)  # warm the per-process caches
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(url).context["page"]) == 2
    add(range(2, 12))
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert len(response.context["page"]) == 12
    assert response.content.decode().count('class="card shift') == 12
