"""Urgent offers by SMS: only to a verified number whose owner chose it, and never during the quiet
hours (21:00–07:00, Paris) unless the shift starts within 6 h and the person allowed night SMS.

Times are built from today's date (and this year's DST Sundays), so the tests hold on any day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from missions.platform.services.matching import proposals_notify
from notifications.models import Channel
from notifications.services import NIGHT_SMS_WITHIN, in_quiet_hours, notify, sms_allowed_at
from tests.factories import from_now, make_professional, make_proposal, make_shift, make_user
from tests.notifications.conftest import deliveries, paris, sample_context, sms_opt_in, with_mobile

pytestmark = pytest.mark.django_db


def last_sunday(year: int, month: int) -> date:
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def hard_days() -> list[date]:
    """Today, this year's two DST Sundays, and the eves of those Sundays (the night that changes)."""
    today = timezone.localdate()
    spring, autumn = last_sunday(today.year, 3), last_sunday(today.year, 10)
    return [today, spring, autumn, spring - timedelta(days=1), autumn - timedelta(days=1)]


@pytest.mark.parametrize(("hour", "minute", "quiet"), [
    (20, 59, False), (21, 0, True), (23, 30, True), (0, 0, True), (3, 0, True), (6, 59, True), (7, 0, False), (8, 0, False),
    (12, 0, False),
])
def test_quiet_hours_on_both_sides_of_21_and_8_on_any_day(hour, minute, quiet):
    for day in hard_days():
        moment = paris(day, hour, minute)
        assert in_quiet_hours(moment) is quiet, moment
        assert sms_allowed_at(now=moment, starts_at=None, night_sms=True) is not quiet, moment


def test_at_night_only_an_imminent_shift_and_only_with_the_night_choice():
    for day in hard_days():
        for night in (paris(day, 21, 0), paris(day, 23, 30), paris(day, 6, 59)):
            soon, later = night + NIGHT_SMS_WITHIN - timedelta(minutes=1), night + NIGHT_SMS_WITHIN + timedelta(minutes=1)
            assert sms_allowed_at(now=night, starts_at=soon, night_sms=True), night
            assert not sms_allowed_at(now=night, starts_at=soon, night_sms=False), night
            assert not sms_allowed_at(now=night, starts_at=later, night_sms=True), night
            assert not sms_allowed_at(now=night, starts_at=None, night_sms=True), night


# --------------------------------------------------------------------------- notify, through Brevo's fake


def offer_context(starts_in: timedelta) -> dict:
    starts = timezone.now() + starts_in
    return {**sample_context("proposal.new"), "starts_at": starts, "ends_at": starts + timedelta(hours=12),
            "expires_at": timezone.now() + timedelta(hours=1)}


def offer(user, key: str, *, starts_in: timedelta = timedelta(hours=3), urgent: bool = True):
    return notify(recipient=user, event="proposal.new", context=offer_context(starts_in), urgent=urgent,
                  dedupe_key=f"proposal:{key}:new")


@pytest.fixture
def opted_in(db):
    user = with_mobile(make_user("opted@example.org"), "06 12 34 56 78")
    sms_opt_in(user)
    return user


@pytest.fixture
def not_opted_in(db):
    return with_mobile(make_user("quiet@example.org"), "07 11 22 33 44")


def test_an_urgent_offer_reaches_by_sms_who_opted_in_and_not_who_did_not(
    daytime, opted_in, not_opted_in, brevo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offer(opted_in, "1")
        offer(not_opted_in, "2")
    [request] = brevo.requests
    assert request.body["recipient"] == "33612345678"
    assert request.body["tag"] == "proposal.new"
    assert request.body["content"].startswith("URGENT Ville-Hôpital : mission proposée, Infirmier·e de nuit")
    assert deliveries(opted_in, Channel.SMS).get().provider_reference == "1511882900176220"
    assert not deliveries(not_opted_in, Channel.SMS).exists()
    assert deliveries(not_opted_in, Channel.EMAIL).exists()  # still told, by email and in the app


def test_an_offer_that_is_not_urgent_goes_by_sms_only_if_ticked_for_the_event(
    daytime, opted_in, brevo, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        offer(opted_in, "3", starts_in=timedelta(days=10), urgent=False)
    assert brevo.requests == []


def test_an_unverified_number_gets_no_sms_even_opted_in(daytime, brevo, django_capture_on_commit_callbacks):
    user = with_mobile(make_user(), "06 12 34 56 78", verified=False)
    sms_opt_in(user)
    with django_capture_on_commit_callbacks(execute=True):
        offer(user, "4")
    assert brevo.requests == [] and not deliveries(user, Channel.SMS).exists()


def test_at_night_an_opted_in_professional_is_texted_only_for_an_imminent_shift_if_they_allowed_it(
    opted_in, brevo, django_capture_on_commit_callbacks
):
    night_owl = with_mobile(make_user("owl@example.org"), "06 99 88 77 66")
    sms_opt_in(night_owl, night=True)
    night = paris(timezone.localdate(), 23, 30)
    with time_machine.travel(night, tick=True), django_capture_on_commit_callbacks(execute=True):
        offer(opted_in, "5", starts_in=timedelta(hours=2))  # no night choice: no SMS
        offer(night_owl, "6", starts_in=timedelta(hours=2))  # imminent, night allowed: SMS
        offer(night_owl, "7", starts_in=timedelta(hours=20))  # tomorrow evening: not at night
    assert [r.body["recipient"] for r in brevo.requests] == ["33699887766"]
    assert list(deliveries(night_owl, Channel.SMS).values_list("notification__dedupe_key", flat=True)) == [
        "proposal:6:new"]
    assert not deliveries(opted_in, Channel.SMS).exists()


# --------------------------------------------------------------------------- from the missions call site


def test_an_urgent_offer_made_by_the_matching_reaches_only_the_opted_in_nurse_by_sms(
    daytime, brevo, django_capture_on_commit_callbacks
):
    """End to end through ``missions.platform.services.matching.proposals_notify`` (what the urgent waves call):
    the offer on tonight's shift carries ``starts_at``; the SMS goes through the local Brevo fake."""
    shift = make_shift(starts_at=from_now(timedelta(hours=4)), urgent=True)
    keen = make_professional(min_notice_hours=2)
    with_mobile(keen.user, "06 12 34 56 78")
    sms_opt_in(keen.user)
    reserved = make_professional(min_notice_hours=2)
    with_mobile(reserved.user, "07 11 22 33 44")  # verified, but urgent offers by SMS not chosen
    proposals = [make_proposal(shift, keen), make_proposal(shift, reserved)]
    with django_capture_on_commit_callbacks(execute=True):
        assert proposals_notify(proposal_ids=[p.pk for p in proposals]) == 2
    assert [r.body["recipient"] for r in brevo.requests] == ["33612345678"]
    assert brevo.requests[0].body["content"].startswith("URGENT Ville-Hôpital : mission proposée")
    assert deliveries(keen.user, Channel.SMS).get().notification.urgent
    assert not deliveries(reserved.user, Channel.SMS).exists()
