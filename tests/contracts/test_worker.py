"""The booking task in a real Celery worker on Redis (the worker finds missions.contracts.tasks),
and drafting races on PostgreSQL."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from missions.contracts.models import Contract, ContractSignature
from missions.contracts.services import contract_draft, contract_sign
from missions.contracts.tasks import contract_draft_task
from tests.contracts.conftest import PASSWORD, build_world


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
    from decimal import Decimal

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from missions.models import Proposal, ProposalSource
    from missions.services.proposals import proposal_accept
    from professionals.models import Credential, CredentialKind, Professional
    from tests.contracts.conftest import make_shift

    charlie = Professional.objects.get(user=world.charlie)
    Credential.objects.create(
        professional=charlie, kind=CredentialKind.INSURANCE, file=ContentFile(b"%PDF-1.4\n", name="rcp.pdf"),
        original_name="rcp.pdf", content_type="application/pdf", size=9,
        expires_on=timezone.localdate() + timedelta(days=365),
    )
    shift = make_shift(world.site, charlie.profession, creator=world.bob, starts_in=timedelta(days=5))
    proposal = Proposal.objects.create(shift=shift, professional=charlie, source=ProposalSource.MANUAL,
                                       distance_km=Decimal("3.0"), expires_at=timezone.now() + timedelta(days=2))
    with django_capture_on_commit_callbacks(execute=True):
        mission = proposal_accept(actor=world.charlie, proposal=proposal)
    assert Contract.objects.get(mission=mission).state == "draft"
