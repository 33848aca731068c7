"""HR's board for triage: urgent shifts still to fill first, then the other groups, each by start; the banner « N postes
urgents non pourvus dans les 48 h » on the establishment's home; queries per page do not grow."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from missions.booking.services.shifts import shift_cancel
from missions.platform.services.urgent import urgent_shift_match
from tests.factories import book, make_proposal, move_to_past
from tests.lists import group_headings

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
                     plain_in_3_days.pk, plain_in_5_days.pk,  # to fill, by start
                     filled_tonight.pk]  # filled: nothing to do before it ends
    assert [(group.heading, [s.pk for s in group.rows]) for group in page.context["groups"]] == [
        ("Urgentes à pourvoir", [open_tomorrow_night.pk, flagged_in_6_days.pk]),
        ("À pourvoir", [plain_in_3_days.pk, plain_in_5_days.pk]),
        ("Pourvues", [filled_tonight.pk]),
    ]
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


def test_the_board_reads_in_groups_under_real_headings(scene, pin, client):
    """HR's order of work, each group a real <h2> (the cards' titles are <h3>), each by start."""
    pin(7)
    urgent = scene.shift(day=1)  # tomorrow night, within 48 h, nobody booked
    to_fill = scene.shift(day=5, night=False)
    partly = scene.shift(day=6, positions=2)
    book(partly, nurse(shift=partly))
    filled = scene.shift(day=4, night=False)
    book(filled, nurse(shift=filled))
    to_close = scene.shift(day=3)
    book(to_close, nurse(shift=to_close))
    move_to_past(to_close)  # ended, its nurse still booked: « service fait » or « absence » to record
    ended_unfilled = move_to_past(scene.shift(day=2, night=False), days=3)
    cancelled = scene.shift(day=8)
    shift_cancel(actor=scene.alice, shift=cancelled, reason="Service fermé")
    client.force_login(scene.alice)
    response = client.get(BOARD.format(scene.chu.pk))
    html = response.content.decode()
    assert group_headings(html, level=2) == [
        "Urgentes à pourvoir", "À pourvoir", "Partiellement pourvues", "À clôturer", "Pourvues",
        "Terminées ou annulées",
    ]
    assert [[shift.pk for shift in group.rows] for group in response.context["groups"]] == [
        [urgent.pk], [to_fill.pk], [partly.pk], [to_close.pk], [filled.pk], [ended_unfilled.pk, cancelled.pk],
    ]
    assert f'<h3 id="shift-title-{urgent.pk}">' in html and "<h4>Professionnels</h4>" in html
    assert 'id="filtres"' in html and "Page 1 sur" not in html  # one page: no pager


def test_the_board_pages_keep_the_filters_and_say_when_a_group_goes_on(scene, pin, client):
    pin(7)
    shifts = [scene.shift(day=3 + n // 2, night=bool(n % 2)) for n in range(27)]  # to fill, by start
    client.force_login(scene.alice)
    url = BOARD.format(scene.chu.pk)
    client.get(url)  # the first visit records the current establishment in the session (one write)
    with CaptureQueriesContext(connection) as first_queries:
        first = client.get(url, {"statut": "open"})
    html = first.content.decode()
    assert len(first.context["page"]) == 25 and group_headings(html) == ["À pourvoir"]
    assert 'href="?statut=open&amp;page=2"' in html and "Page 1 sur 2" in html
    assert '<a href="#filtres">Revenir aux filtres</a>' in html
    with CaptureQueriesContext(connection) as second_queries:
        second = client.get(url, {"statut": "open", "page": "2"})
    assert [shift.pk for shift in second.context["page"]] == [shift.pk for shift in shifts[25:]]
    assert group_headings(second.content.decode()) == ["À pourvoir (suite)"]
    assert len(second_queries) == len(first_queries)  # the row before the page comes in the same query
    for raw, number in (("0", 1), ("-2", 1), ("abc", 1), ("2", 2), ("99", 2), ("99999999999999999999", 1)):
        response = client.get(url, {"page": raw})
        assert response.status_code == 200 and response.context["page"].number == number, raw
