"""``Idempotency-Key`` (ville_hopital.idempotency) on real PostgreSQL: a replay answers the first
response and writes nothing; another body or path with the key is a 409 naming the mismatch; a
refused request keeps no key; keys are per user and purged after 24 hours; two requests racing with
one key create one shift."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from establishments.models import Shift, Unit
from tests.api.conftest import build_scene
from ville_hopital.idempotency import idempotency_keys_purge
from ville_hopital.models import IdempotencyKey

SHIFTS = "/api/v1/shifts/"


def post(client, url: str, body: dict, key: str | None = "key-1"):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_the_same_key_and_body_replays_the_first_answer_and_writes_nothing(scene):
    client = scene.client(scene.alice)
    first = post(client, SHIFTS, scene.shift_body())
    assert first.status_code == 201, first.json()
    again = post(client, SHIFTS, scene.shift_body())
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Shift.objects.count() == 1
    # the same object with its keys in another order is the same request
    reordered = dict(reversed(list(scene.shift_body().items())))
    assert post(client, SHIFTS, reordered).json() == first.json()
    assert Shift.objects.count() == 1


def test_without_a_key_each_post_writes(scene):
    client = scene.client(scene.alice)
    assert post(client, SHIFTS, scene.shift_body(), key=None).status_code == 201
    assert post(client, SHIFTS, scene.shift_body(), key=None).status_code == 201
    assert Shift.objects.count() == 2


def test_the_same_key_with_another_body_or_path_is_a_409_naming_the_mismatch(scene):
    client = scene.client(scene.alice)
    assert post(client, SHIFTS, scene.shift_body()).status_code == 201
    other_body = post(client, SHIFTS, scene.shift_body(positions=2))
    assert other_body.status_code == 409
    assert "autre corps" in other_body.json()["Idempotency-Key"][0]
    other_path = post(client, f"/api/v1/establishments/{scene.site.pk}/units/", {"name": "Réanimation"})
    assert other_path.status_code == 409
    assert SHIFTS in other_path.json()["Idempotency-Key"][0]
    assert Shift.objects.count() == 1 and not Unit.objects.filter(name="Réanimation").exists()


def test_a_refused_request_keeps_no_key_and_the_fixed_one_may_use_it(scene):
    client = scene.client(scene.alice)
    refused = post(client, SHIFTS, scene.shift_body(pay="99999.00"))
    assert refused.status_code == 400 and "pay" in refused.json()
    assert not IdempotencyKey.objects.exists()
    assert post(client, SHIFTS, scene.shift_body()).status_code == 201
    assert Shift.objects.count() == 1


def test_keys_belong_to_their_user(scene):
    assert post(scene.client(scene.alice), SHIFTS, scene.shift_body()).status_code == 201
    body = scene.shift_body(unit=scene.other_unit.pk)
    assert post(scene.client(scene.charlie), SHIFTS, body).status_code == 201
    assert Shift.objects.count() == 2


def test_a_malformed_key_is_refused(scene):
    response = post(scene.client(scene.alice), SHIFTS, scene.shift_body(), key="x" * 256)
    assert response.status_code == 400 and "Idempotency-Key" in response.json()
    assert not Shift.objects.exists()


def test_keys_are_purged_after_a_day_and_an_expired_key_is_new_again(scene):
    client = scene.client(scene.alice)
    assert post(client, SHIFTS, scene.shift_body()).status_code == 201
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    # an expired key is a new key: the request runs again
    again = post(client, SHIFTS, scene.shift_body(days=11))
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Shift.objects.count() == 2
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_keys_purge() == 1
    assert not IdempotencyKey.objects.exists()


def test_the_schema_states_the_header_and_the_409(scene):
    schema = scene.client(None).get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/shifts/"]["post"]
    assert operation["operationId"] == "shifts_create"
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in operation["parameters"])
    assert "409" in operation["responses"]
    assert not any(p["name"] == "Idempotency-Key" for p in schema["paths"]["/api/v1/shifts/"]["get"].get("parameters", []))


@pytest.mark.postgres
def test_two_requests_racing_with_one_key_create_one_shift(live_db):
    scene = build_scene()
    for round_ in range(4):
        body = scene.shift_body(days=10 + round_)
        barrier = threading.Barrier(2)
        answers: list = []

        def run(body=body, key=f"race-{round_}", barrier=barrier, answers=answers):
            try:
                client = scene.client(scene.alice)
                barrier.wait(timeout=10)
                answers.append(post(client, SHIFTS, body, key=key))
            finally:
                connection.close()

        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert [a.status_code for a in answers] == [201, 201]
        assert answers[0].json() == answers[1].json()
        assert sum(a.has_header("Idempotent-Replayed") for a in answers) == 1
        assert Shift.objects.filter(starts_at=body["starts_at"]).count() == 1
