"""The booking task in a real Celery worker on Redis (the worker finds missions.contracts.tasks),
and drafting races on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from missions.contracts.models import Contract, ContractSignature
from missions.contracts.services import contract_draft, contract_sign
from missions.contracts.tasks import contract_draft_task
from tests.contracts.conftest import build_world
from tests.factories import PASSWORD


@pytest.fixture
def worker_media(monkeypatch, tmp_path, settings):
    media = tmp_path / "worker-media"
    monkeypatch.setenv("MEDIA_ROOT", str(media))
    settings.MEDIA_ROOT = media
    return media


@pytest.mark.celery_worker
def test_a_real_worker_drafts_the_contract(worker_media, celery_worker_process):
    world = build_world()
    contract_draft_task.delay(world.mission.pk)
    assert celery_worker_process(lambda: Contract.objects.filter(mission=world.mission).exists(), timeout=60)
    contract = Contract.objects.get(mission=world.mission)
    assert (worker_media / contract.pdf.name).exists()


def _race(target, n: int = 2) -> list:
    barrier = threading.Barrier(n)
    results: list = []

    def run():
        try:
            barrier.wait()
            results.append(target())
        except Exception as error:  # collected: the test asserts on them
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
def test_two_drafts_at_once_make_one_contract(live_db):
    world = build_world()
    # The booking drafted the contract once committed (Celery is eager here): the race starts without one.
    Contract.objects.filter(mission=world.mission).delete()
    results = _race(lambda: contract_draft(mission=world.mission).pk)
    assert Contract.objects.filter(mission=world.mission).count() == 1
    assert results == [results[0], results[0]]


@pytest.mark.postgres
def test_two_signatures_of_one_side_at_once_record_one(live_db):
    world = build_world()
    contract = contract_draft(mission=world.mission)
    results = _race(lambda: contract_sign(actor=world.alice, contract=contract, password=PASSWORD, ip=None))
    assert ContractSignature.objects.filter(contract=contract).count() == 1
    assert sorted(type(r).__name__ for r in results) == ["Contract", "ValidationError"]


def test_accepting_a_proposal_drafts_the_contract_on_commit(world, django_capture_on_commit_callbacks):
    from datetime import timedelta

    from missions.booking.services.proposals import proposal_accept
    from professionals.models import Professional
    from tests.factories import from_now, make_proposal, make_shift

    charlie = Professional.objects.get(user=world.charlie)
    shift = make_shift(world.site, profession=charlie.profession_id, by=world.bob, starts_at=from_now(timedelta(days=5)))
    proposal = make_proposal(shift, charlie, distance="3.0")  # charlie gets an RCP insurance: accepting needs one
    with django_capture_on_commit_callbacks(execute=True):
        mission = proposal_accept(actor=world.charlie, proposal=proposal)
    assert Contract.objects.get(mission=mission).state == "draft"
