"""The page cache: a cached answer is reused, and never outlives a refresh of the aggregates."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dashboards.services import aggregates_rebuild, aggregates_refresh
from missions.core.models import MissionState
from tests.dashboards.conftest import MONTPELLIER


def test_cached_pages_follow_the_aggregates(client, world, settings):
    settings.DASHBOARDS_CACHE_SECONDS = 300
    chu = world.establishment("CHU Montpellier", MONTPELLIER, "CHU")
    shift = world.shift(chu, day=-2, positions=3)
    world.mission(shift, world.professional(), state=MissionState.DONE)
    aggregates_rebuild()
    client.force_login(world.ars("76"))
    url = reverse("dashboards:overview", args=["76"])
    first = client.get(url)
    assert first.context["total"].filled == 1
    with CaptureQueriesContext(connection) as cold_again:
        client.get(url)
    assert not any("dashboards_dailyfillarea" in q["sql"] for q in cold_again.captured_queries)  # from the cache
    world.mission(shift, world.professional(), position=2, state=MissionState.DONE)
    aggregates_refresh(days=[world.today.fromordinal(world.today.toordinal() - 2)], establishments=[chu.pk])
    assert client.get(url).context["total"].filled == 2  # the refresh changed the version: recomputed
    export = client.get(reverse("dashboards:export", args=["76", "departements", "csv"]))
    assert export.content.decode("utf-8-sig").splitlines()[1].split(";")[2] == "2"
