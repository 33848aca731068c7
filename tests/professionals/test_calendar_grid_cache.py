"""The calendar's month grid is kept in the cache under what it shows
(``professionals.selectors.month_grid_key``): a second look at an unchanged month renders no grid,
and anything the grid shows that changes — a declared slot, a booked mission, a slot that passes,
the language — is on the page at once. A cached grid is never a stale one."""

from __future__ import annotations

import re
from datetime import date

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from professionals.selectors import calendar_month, month_grid_key
from tests.factories import local, make_mission, make_professional
from ville_hopital.months import next_month

pytestmark = pytest.mark.django_db

GRID = "professionals/_month_grid.html"


@pytest.fixture
def first_day() -> date:
    """The 1st of a month with no day in the past: next month (the page accepts it on any date)."""
    return next_month(timezone.localdate())


@pytest.fixture
def pro(client):
    professional = make_professional()
    client.force_login(professional.user)
    return professional


def page(client, day: date):
    return client.get(reverse("professionals:calendar", args=[day.year, day.month]))


def grid_of(response) -> str:
    match = re.search(r'<table class="month-grid">.*?</table>', response.content.decode(), re.S)
    assert match, "no month grid on the page"
    return match.group(0)


def rendered(response) -> bool:
    """The grid template was rendered for this response (not taken from the cache)."""
    return GRID in [template.name for template in response.templates]


def slot_of(grid: str, value: str) -> str:
    match = re.search(rf'<div class="([^"]*)">\s*<input type="checkbox" name="slots" value="{value}"[^>]*>', grid)
    assert match, f"no slot {value} in the grid"
    return match.group(0)


def test_an_unchanged_month_is_rendered_once_and_read_back_the_same(client, pro, first_day):
    first, second = page(client, first_day), page(client, first_day)
    assert first.status_code == second.status_code == 200
    assert rendered(first) and not rendered(second)
    assert grid_of(first) == grid_of(second)


def test_a_declared_slot_is_on_the_page_at_once(client, pro, first_day):
    value = f"{first_day.replace(day=12).isoformat()}:N"
    assert "checked" not in slot_of(grid_of(page(client, first_day)), value)
    response = client.post(reverse("professionals:calendar", args=[first_day.year, first_day.month]),
                           {"slots": [value], "action": "save"}, follow=True)
    assert rendered(response)
    assert "checked" in slot_of(grid_of(response), value)


def test_a_booked_mission_is_on_the_page_at_once(client, pro, first_day):
    day = first_day.replace(day=15)
    before = grid_of(page(client, first_day))
    mission = make_mission(pro, starts_at=local(day, 8), hours=12)
    response = page(client, first_day)
    assert rendered(response)
    assert reverse("missions:mission_detail", args=[mission.pk]) not in before
    assert reverse("missions:mission_detail", args=[mission.pk]) in grid_of(response)
    assert "booked" in slot_of(grid_of(response), f"{day.isoformat()}:D")


def test_a_slot_that_passes_is_shown_past(client, pro, first_day):
    value = f"{first_day.replace(day=10).isoformat()}:D"
    with time_machine.travel(local(first_day.replace(day=10), 7, 30)):
        client.force_login(pro.user)  # a session opened today would have expired by then
        before = page(client, first_day)
    with time_machine.travel(local(first_day.replace(day=10), 8, 30)):
        after = page(client, first_day)
    assert " past" not in slot_of(grid_of(before), value)
    assert rendered(after) and " past" in slot_of(grid_of(after), value)


def test_each_language_has_its_grid(client, pro, first_day):
    french = page(client, first_day)
    client.cookies["django_language"] = "en"
    english = page(client, first_day)
    assert rendered(english)
    assert "lundi" in grid_of(french) and "lundi" not in grid_of(english) and "Monday" in grid_of(english)


def test_the_key_names_the_professional_and_the_template_revision(pro, first_day):
    month = calendar_month(pro, first_day.year, first_day.month)
    other = make_professional()
    key = month_grid_key(month, professional_id=pro.pk, revision="a")
    assert key == month_grid_key(calendar_month(pro, first_day.year, first_day.month), professional_id=pro.pk,
                                 revision="a")
    assert key != month_grid_key(month, professional_id=other.pk, revision="a")
    assert key != month_grid_key(month, professional_id=pro.pk, revision="b")
