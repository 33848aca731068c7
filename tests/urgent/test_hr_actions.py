"""HR acts on an unfilled shift: offer it to a named eligible professional (refused, with the rule,
for one who is not), raise the pay within the legal cap (the next wave at once; above the cap, the
legal calculation), flag it urgent. Audited; alice (HR) may, bob (viewer) may read, charlie (another
establishment) gets a 404."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from missions.core.models import Proposal, ProposalSource
from missions.platform.services.urgent import (
    shift_flag_urgent,
    shift_offer_to,
    shift_pay_raise,
    urgent_shift_match,
)
from notifications.models import Notification
from tests.factories import book, in_days, make_shift
from ville_hopital.models import AuditEvent

from .conftest import nurse, nurses

ACT = "/missions/rh/vacations/{}/pourvoir/"


def _audited(action: str, shift) -> bool:
    return AuditEvent.objects.filter(action=action, target_id=str(shift.pk)).exists()


def test_hr_offers_the_shift_to_a_named_eligible_nurse(scene, pin, django_capture_on_commit_callbacks):
    pin(15)
    shift = scene.shift()
    chosen = nurse(shift=shift, first="Zoé", last="Martin")
    with django_capture_on_commit_callbacks(execute=True):
        proposal = shift_offer_to(actor=scene.alice, shift=shift, professional=chosen)
    assert (proposal.source, proposal.state, proposal.wave) == (ProposalSource.MANUAL, "pending", 0)
    assert Notification.objects.filter(recipient=chosen.user, event="proposal.new").exists()
    assert _audited("shift.offer", shift)
    # A named offer is not a wave: the first wave still goes to the others.
    nurses(shift, 3)
    assert urgent_shift_match(shift=shift, wave=1) == 3


def test_a_professional_who_is_not_eligible_is_refused_with_the_rule(scene, pin):
    pin(15)
    shift = scene.shift()
    wants_notice = nurse(shift=shift, notice=24)
    uninsured = nurse(shift=shift, insured=False)
    with pytest.raises(ValidationError) as notice:
        shift_offer_to(actor=scene.alice, shift=shift, professional=wants_notice)
    assert "préavis de 24 h" in " ".join(notice.value.message_dict["professional"])
    with pytest.raises(ValidationError) as insurance:
        shift_offer_to(actor=scene.alice, shift=shift, professional=uninsured)
    assert "assurance" in " ".join(insurance.value.message_dict["professional"]).lower()
    assert not Proposal.objects.exists() and not _audited("shift.offer", shift)


def test_only_a_writer_of_the_shifts_establishment_may_act(scene, pin):
    pin(15)
    shift = scene.shift(pay=Decimal("600.00"))
    chosen = nurse(shift=shift)
    for outsider in (scene.bob, scene.charlie):
        with pytest.raises(PermissionDenied):
            shift_offer_to(actor=outsider, shift=shift, professional=chosen)
        with pytest.raises(PermissionDenied):
            shift_pay_raise(actor=outsider, shift=shift, pay="620")
        with pytest.raises(PermissionDenied):
            shift_flag_urgent(actor=outsider, shift=shift)
    assert not Proposal.objects.exists()


def test_a_raise_within_the_cap_sends_the_next_wave_at_once(scene, pin, django_capture_on_commit_callbacks):
    pin(15)
    shift = scene.shift(pay=Decimal("600.00"))
    assert shift.pay_cap == Decimal("648.00")  # 54 €/h × 12 h for a nurse
    nurses(shift, 8)
    urgent_shift_match(shift=shift)
    with django_capture_on_commit_callbacks(execute=True):
        shift_pay_raise(actor=scene.alice, shift=shift, pay="640,50")
    shift.refresh_from_db()
    assert shift.pay == Decimal("640.50")
    assert _audited("shift.pay_raise", shift)
    # The second wave did not wait for its 5 minutes.
    assert Proposal.objects.filter(shift=shift, wave=2).count() == 3


@pytest.mark.parametrize(
    ("pay", "says"),
    [
        ("700", ["700,00 € dépasse le plafond légal de 648,00 €", "54", "12", "= 648"]),
        ("590", ["Une hausse doit dépasser la rémunération actuelle de 600,00 €"]),
        ("six cents", ["Indiquez un montant en euros"]),
        ("600.123", ["Indiquez un montant en euros"]),
    ],
)
def test_a_raise_above_the_cap_shows_the_legal_calculation_and_writes_nothing(scene, pin, pay, says):
    pin(15)
    shift = scene.shift(pay=Decimal("600.00"))
    with pytest.raises(ValidationError) as refused:
        shift_pay_raise(actor=scene.alice, shift=shift, pay=pay)
    message = " ".join(refused.value.message_dict["pay"])
    for text in says:
        assert text in message, message
    shift.refresh_from_db()
    assert shift.pay == Decimal("600.00") and not _audited("shift.pay_raise", shift)


def test_flagging_a_later_shift_urgent_starts_its_waves(scene, pin, django_capture_on_commit_callbacks):
    pin(7)
    shift = scene.shift(day=10)
    nurses(shift, 6, notice=48)
    assert not shift.is_urgent()
    with django_capture_on_commit_callbacks(execute=True):
        shift_flag_urgent(actor=scene.alice, shift=shift)
    shift.refresh_from_db()
    assert shift.urgent and _audited("shift.flag_urgent", shift)
    assert Proposal.objects.filter(shift=shift, wave=1).count() == 5
    with django_capture_on_commit_callbacks(execute=True):
        shift_flag_urgent(actor=scene.alice, shift=shift)  # idempotent: no second wave
    assert Proposal.objects.filter(shift=shift).count() == 5


def test_nothing_can_be_done_on_a_filled_or_started_shift(scene, pin):
    pin(15)
    shift = scene.shift(pay=Decimal("600.00"))
    book(shift, nurse(shift=shift))
    other = nurse(shift=shift)
    for action in (
        lambda: shift_offer_to(actor=scene.alice, shift=shift, professional=other),
        lambda: shift_pay_raise(actor=scene.alice, shift=shift, pay="620"),
    ):
        with pytest.raises(ValidationError, match="déjà pourvus"):
            action()


# --- Pages --------------------------------------------------------------------------------------


def test_the_page_searches_by_name_among_the_eligible_and_those_who_worked_here(scene, pin, client):
    pin(15)
    shift = scene.shift()
    eligible = nurse(shift=shift, first="Zoé", last="Martin")
    nurse(shift=shift, first="Paul", last="Martin-Durand", notice=24)  # never worked here: not listed
    regular = nurse(first="Léa", last="Martinez", notice=24)
    last_month = make_shift(scene.chu, by=scene.alice, starts_at=in_days(-30), as_row=True)
    book(last_month, regular, as_row=True)  # worked here last month (history: rows)
    client.force_login(scene.alice)
    page = client.get(ACT.format(shift.pk), {"q": "mart"})
    assert page.status_code == 200
    rows = {c.professional.pk: c for c in page.context["candidates"]}
    assert set(rows) == {eligible.pk, regular.pk}
    assert rows[eligible.pk].eligible and not rows[eligible.pk].worked_here
    assert rows[regular.pk].worked_here and any("préavis" in r for r in rows[regular.pk].reasons)
    html = page.content.decode()
    assert "Proposer<span" in html and "préavis de 24 h" in html

    response = client.post(f"/missions/rh/vacations/{shift.pk}/proposer/", {"professional": regular.pk}, follow=True)
    assert "préavis de 24 h" in response.content.decode()
    assert not Proposal.objects.filter(professional=regular).exists()
    response = client.post(f"/missions/rh/vacations/{shift.pk}/proposer/", {"professional": eligible.pk}, follow=True)
    assert "Vacation proposée à Zoé Martin." in response.content.decode()


def test_the_page_shows_the_cap_and_refuses_a_raise_above_it_with_the_calculation(scene, pin, client):
    pin(15)
    shift = scene.shift(pay=Decimal("600.00"))
    client.force_login(scene.alice)
    html = client.get(ACT.format(shift.pk)).content.decode()
    assert "Plafond légal : 648.00 €" in html or "Plafond légal : 648,00 €" in html
    response = client.post(f"/missions/rh/vacations/{shift.pk}/remuneration/", {"pay": "700"}, follow=True)
    assert "dépasse le plafond légal" in response.content.decode() and shift.pay_cap_explanation in (
        response.content.decode().replace("&#x27;", "'")
    )


def test_bob_reads_without_forms_charlie_gets_404_and_bob_403_on_a_write(scene, pin, client):
    pin(15)
    shift = scene.shift(pay=Decimal("600.00"))
    client.force_login(scene.bob)
    page = client.get(ACT.format(shift.pk))
    assert page.status_code == 200 and "Relever" not in page.content.decode()
    assert client.post(f"/missions/rh/vacations/{shift.pk}/remuneration/", {"pay": "620"}).status_code == 403
    client.force_login(scene.charlie)
    assert client.get(ACT.format(shift.pk)).status_code == 404
    assert client.post(f"/missions/rh/vacations/{shift.pk}/urgente/").status_code == 404
    shift.refresh_from_db()
    assert shift.pay == Decimal("600.00")
    assert timezone.now() < shift.starts_at - timedelta(hours=4)
