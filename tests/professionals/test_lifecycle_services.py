"""The shared lifecycle services: proposals (create, accept, decline, expire) and missions (cancel, complete)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from establishments.models import MemberRole, ShiftState
from missions.booking.services.missions import mission_cancel, mission_complete
from missions.booking.services.proposals import (
    proposal_accept,
    proposal_create,
    proposal_decline,
    proposals_expire,
)
from missions.core.eligibility import Stage, exclusions_for
from missions.core.models import (
    CancelledBy,
    EstablishmentBlock,
    Mission,
    MissionState,
    ProposalSource,
    ProposalState,
)
from tests.factories import (
    book,
    in_days,
    local,
    make_establishment,
    make_professional,
    make_proposal,
    make_shift,
    make_user,
)
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db


# --------------------------------------------------------------------------- proposal_create


def test_create_writes_audit_and_is_idempotent():
    shift, pro = make_shift(), make_professional()
    first = make_proposal(shift, pro)
    again = make_proposal(shift, pro, distance="99")
    assert first.pk == again.pk and first.state == ProposalState.PENDING
    assert first.distance_km == Decimal("12.3")
    assert AuditEvent.objects.filter(action="proposal.create", target_id=str(first.pk)).count() == 1


def test_expiry_never_outlives_shift_start():
    shift = make_shift(starts_at=in_days(2))
    proposal = make_proposal(shift, make_professional(), expires_in=timedelta(days=30))
    assert proposal.expires_at == shift.starts_at


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ("profession", "professional"),
        ("skill", "professional"),
        ("cancelled", "shift"),
        ("started", "shift"),
        ("expired", "expires_at"),
        ("blocked_by_pro", "professional"),
        ("blocked_by_establishment", "professional"),
    ],
)
def test_create_refusals(change, field):
    shift = make_shift(skills=("SI06",) if change == "skill" else ())
    pro = make_professional(profession="70" if change == "profession" else "60")
    expires_at = timezone.now() + timedelta(days=1)
    if change == "cancelled":
        shift.state = ShiftState.CANCELLED
        shift.save()
    if change == "started":
        shift.starts_at = timezone.now() - timedelta(hours=1)
        shift.save()
    if change == "expired":
        expires_at = timezone.now() - timedelta(minutes=1)
    if change == "blocked_by_pro":
        pro.blocked_establishments.add(shift.establishment)
    if change == "blocked_by_establishment":
        EstablishmentBlock.objects.create(establishment=shift.establishment, professional=pro, created_by=make_user())
    with pytest.raises(ValidationError) as info:
        proposal_create(
            shift=shift, professional=pro, source=ProposalSource.MANUAL, distance_km=Decimal(3), expires_at=expires_at
        )
    assert field in info.value.message_dict


def test_required_skills_subset_is_enough():
    shift = make_shift(skills=("SI06",))
    proposal = make_proposal(shift, make_professional(skills=("SI06", "SI07")))
    assert proposal.pk


# --------------------------------------------------------------------------- proposal_accept


def test_accept_books_lowest_free_position_and_copies_terms():
    shift = make_shift(positions=2, pay=Decimal("648.00"))
    pro = make_professional()
    proposal = make_proposal(shift, pro)
    mission = proposal_accept(actor=pro.user, proposal=proposal)
    assert (mission.position, mission.state, mission.pay) == (1, MissionState.BOOKED, Decimal("648.00"))
    assert (mission.starts_at, mission.ends_at, mission.distance_km) == (shift.starts_at, shift.ends_at, Decimal("12.3"))
    proposal.refresh_from_db()
    assert proposal.state == ProposalState.ACCEPTED and proposal.decided_at
    assert AuditEvent.objects.filter(action="mission.book", target_id=str(mission.pk)).exists()
    second = make_professional()
    assert proposal_accept(actor=second.user, proposal=make_proposal(shift, second)).position == 2


def test_full_shift_withdraws_other_pending():
    shift = make_shift(positions=1)
    a, b = make_professional(), make_professional()
    pa, pb = make_proposal(shift, a), make_proposal(shift, b)
    proposal_accept(actor=a.user, proposal=pa)
    pb.refresh_from_db()
    assert pb.state == ProposalState.WITHDRAWN
    with pytest.raises(ValidationError, match="état « retirée », le passage à « acceptée »"):
        proposal_accept(actor=b.user, proposal=pb)


def test_full_shift_refuses():
    shift = make_shift(positions=1)
    a, b = make_professional(), make_professional()
    pb = make_proposal(shift, b)
    # Written directly: an acceptance filling the shift would withdraw b's offer, and this test is
    # about the position check itself.
    book(shift, a, as_row=True)
    with pytest.raises(ValidationError, match="déjà pourvus"):
        proposal_accept(actor=b.user, proposal=pb)


def test_accept_only_by_the_professional():
    proposal = make_proposal(make_shift(), make_professional())
    with pytest.raises(PermissionDenied):
        proposal_accept(actor=make_professional().user, proposal=proposal)


def test_accept_expired_or_cancelled_or_started():
    pro = make_professional()
    expired = make_proposal(make_shift(), pro)
    expired.expires_at = timezone.now() - timedelta(seconds=1)
    expired.save()
    with pytest.raises(ValidationError, match="expiré"):
        proposal_accept(actor=pro.user, proposal=expired)
    cancelled_shift = make_shift(starts_at=in_days(20))
    proposal = make_proposal(cancelled_shift, pro)
    cancelled_shift.state = ShiftState.CANCELLED
    cancelled_shift.save()
    with pytest.raises(ValidationError, match="annulé"):
        proposal_accept(actor=pro.user, proposal=proposal)
    started = make_shift(starts_at=in_days(25))
    proposal = make_proposal(started, pro)
    type(started).objects.filter(pk=started.pk).update(
        starts_at=timezone.now() - timedelta(hours=1), ends_at=timezone.now() + timedelta(hours=5)
    )
    with pytest.raises(ValidationError, match="commencé"):
        proposal_accept(actor=pro.user, proposal=proposal)


def test_overlap_in_any_establishment_is_refused():
    pro = make_professional()
    proposal_accept(actor=pro.user, proposal=make_proposal(make_shift(starts_at=in_days(5, 8)), pro))
    other = make_shift(starts_at=in_days(5, 14), hours=6)  # another establishment
    with pytest.raises(ValidationError, match="Chevauche"):
        proposal_accept(actor=pro.user, proposal=make_proposal(other, pro))


def test_eleven_hours_rest():
    pro = make_professional()
    proposal_accept(actor=pro.user, proposal=make_proposal(make_shift(starts_at=in_days(5, 8)), pro))  # day
    night = make_shift(starts_at=in_days(5, 20))
    with pytest.raises(ValidationError, match="Repos insuffisant"):
        proposal_accept(actor=pro.user, proposal=make_proposal(night, pro))
    next_day = make_shift(starts_at=in_days(6, 8))  # 12 h of rest: fine
    assert proposal_accept(actor=pro.user, proposal=make_proposal(next_day, pro))


def _refused_at_acceptance(pro, shift) -> list[str]:
    """The working-time rules ``proposal_accept`` would refuse ``shift`` with (the legal hours)."""
    working_time = ("slot_taken", "rest_11h", "guard_24h", "hours_48")
    return [e.code for e in exclusions_for(professional=pro, shift=shift, stage=Stage.ACCEPT) if e.code in working_time]


def test_split_day_within_thirteen_hours_is_allowed():
    pro = make_professional()
    book(make_shift(starts_at=in_days(5, 8), hours=4), pro)
    assert _refused_at_acceptance(pro, make_shift(starts_at=in_days(5, 14), hours=4)) == []
    assert _refused_at_acceptance(pro, make_shift(starts_at=in_days(5, 14), hours=8)) == ["rest_11h"]


def test_after_24_hours_a_full_day_of_rest():
    pro = make_professional(profession="10")
    book(make_shift(starts_at=in_days(5, 8), hours=24, profession="10"), pro)
    assert _refused_at_acceptance(pro, make_shift(starts_at=in_days(6, 20), hours=12, profession="10")) == [
        "guard_24h"
    ]
    assert _refused_at_acceptance(pro, make_shift(starts_at=in_days(7, 8), hours=12, profession="10")) == []


def test_48_hours_over_seven_rolling_days():
    pro = make_professional(max_missions_per_month=31)
    base = 3
    for d in range(4):  # 4 × 12 h = 48 h: allowed
        proposal_accept(actor=pro.user, proposal=make_proposal(make_shift(starts_at=in_days(base + d)), pro))
    fifth = make_shift(starts_at=in_days(base + 6))
    with pytest.raises(ValidationError, match="48 h"):
        proposal_accept(actor=pro.user, proposal=make_proposal(fifth, pro))
    later = make_shift(starts_at=in_days(base + 7))  # window from base+1: 3 × 12 + 12 = 48 h
    assert proposal_accept(actor=pro.user, proposal=make_proposal(later, pro))


def test_monthly_cap_counts_the_shift_month():
    pro = make_professional(max_missions_per_month=1)
    first_of_next = (timezone.localdate().replace(day=1) + timedelta(days=40)).replace(day=1)
    proposal_accept(actor=pro.user, proposal=make_proposal(make_shift(starts_at=local(first_of_next)), pro))
    same_month = make_shift(starts_at=local(first_of_next + timedelta(days=3)))
    with pytest.raises(ValidationError, match="maximum de 1 mission"):
        proposal_accept(actor=pro.user, proposal=make_proposal(same_month, pro))
    following = (first_of_next + timedelta(days=40)).replace(day=1)
    assert proposal_accept(actor=pro.user, proposal=make_proposal(make_shift(starts_at=local(following)), pro))


# --------------------------------------------------------------------------- decline / expire


def test_decline_with_reason():
    pro = make_professional()
    proposal = make_proposal(make_shift(), pro)
    with pytest.raises(PermissionDenied):
        proposal_decline(actor=make_professional().user, proposal=proposal)
    proposal_decline(actor=pro.user, proposal=proposal, reason="  Trop loin  ")
    proposal.refresh_from_db()
    assert (proposal.state, proposal.decline_reason) == (ProposalState.DECLINED, "Trop loin")
    with pytest.raises(ValidationError):
        proposal_decline(actor=pro.user, proposal=proposal)


def test_expire_is_idempotent():
    live = make_proposal(make_shift(), make_professional())
    old = make_proposal(make_shift(), make_professional())
    assert proposals_expire(now=timezone.now() + timedelta(days=3)) == 2
    assert proposals_expire(now=timezone.now() + timedelta(days=3)) == 0
    live.refresh_from_db()
    old.refresh_from_db()
    assert live.state == old.state == ProposalState.EXPIRED


def test_expire_leaves_live_ones():
    live = make_proposal(make_shift(), make_professional())
    assert proposals_expire() == 0
    live.refresh_from_db()
    assert live.state == ProposalState.PENDING


# --------------------------------------------------------------------------- mission_cancel / mission_complete


def test_professional_cancels_early_and_position_frees():
    shift = make_shift(positions=1, starts_at=in_days(5))
    pro = make_professional()
    mission = proposal_accept(actor=pro.user, proposal=make_proposal(shift, pro))
    with pytest.raises(ValidationError) as info:
        mission_cancel(actor=pro.user, mission=mission, reason="   ", by=CancelledBy.PROFESSIONAL)
    assert "reason" in info.value.message_dict
    mission_cancel(actor=pro.user, mission=mission, reason="Malade", by=CancelledBy.PROFESSIONAL)
    mission.refresh_from_db()
    assert (mission.state, mission.cancelled_by, mission.cancel_reason) == ("cancelled", "professional", "Malade")
    assert AuditEvent.objects.filter(action="mission.cancel", target_id=str(mission.pk)).exists()
    other = make_professional()
    assert proposal_accept(actor=other.user, proposal=make_proposal(shift, other)).position == 1


def test_professional_may_not_cancel_within_48_hours(hr_user, writer_establishment):
    pro = make_professional()
    mission = book(make_shift(establishment=writer_establishment, starts_at=timezone.now() + timedelta(hours=47)), pro)
    with pytest.raises(ValidationError, match="48 h"):
        mission_cancel(actor=pro.user, mission=mission, reason="Empêchement", by=CancelledBy.PROFESSIONAL)
    with pytest.raises(PermissionDenied):
        mission_cancel(actor=make_professional().user, mission=mission, reason="x", by=CancelledBy.PROFESSIONAL)
    # The establishment still can.
    mission_cancel(actor=hr_user, mission=mission, reason="Service fermé", by=CancelledBy.ESTABLISHMENT)
    mission.refresh_from_db()
    assert mission.state == MissionState.CANCELLED


def test_establishment_cancel_needs_a_writer_and_a_future_start():
    hr, viewer = make_user(), make_user()
    establishment = make_establishment(members={hr: MemberRole.ADMIN, viewer: MemberRole.VIEWER})
    mission = book(make_shift(establishment=establishment), make_professional())
    with pytest.raises(PermissionDenied):
        mission_cancel(actor=viewer, mission=mission, reason="x", by=CancelledBy.ESTABLISHMENT)
    Mission.objects.filter(pk=mission.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(ValidationError, match="commencé"):
        mission_cancel(actor=hr, mission=mission, reason="x", by=CancelledBy.ESTABLISHMENT)


def test_complete_after_end_by_writer():
    hr, viewer = make_user(), make_user()
    establishment = make_establishment(members={hr: MemberRole.HR, viewer: MemberRole.VIEWER})
    mission = book(make_shift(establishment=establishment), make_professional())
    with pytest.raises(ValidationError, match="pas terminée"):
        mission_complete(actor=hr, mission=mission, outcome="done")
    Mission.objects.filter(pk=mission.pk).update(
        starts_at=timezone.now() - timedelta(hours=13), ends_at=timezone.now() - timedelta(hours=1)
    )
    with pytest.raises(PermissionDenied):
        mission_complete(actor=viewer, mission=mission, outcome="done")
    with pytest.raises(ValidationError):
        mission_complete(actor=hr, mission=mission, outcome="paid")
    mission_complete(actor=hr, mission=mission, outcome="no_show")
    mission.refresh_from_db()
    assert mission.state == MissionState.NO_SHOW and mission.closed_at
    with pytest.raises(ValidationError, match="état « absence », le passage à « service fait »"):
        mission_complete(actor=hr, mission=mission, outcome="done")


def test_no_new_offer_once_booked_on_the_shift():
    shift, pro = make_shift(positions=2), make_professional()
    proposal_accept(actor=pro.user, proposal=make_proposal(shift, pro))
    with pytest.raises(ValidationError) as info:
        make_proposal(shift, pro)
    assert "déjà inscrit" in " ".join(info.value.message_dict["professional"])
