"""Language of the interface: counted phrases through ngettext (French: 0 and 1 are singular) and
amounts written as the active language writes them (« 1 234,50 € » in French, « 1,234.50 » in
English), in pages, the calendar feed and error messages."""

from __future__ import annotations

import gettext as gnu_gettext
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import icalendar
import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from dashboards.charts import trend_svg
from dashboards.forms import FilterForm
from dashboards.selectors import NATIONAL, Scope
from missions.booking.services.proposals import proposal_accept
from missions.core.eligibility import MonthlyCap
from missions.core.models import MissionState
from tests.factories import book, local, make_professional, make_proposal, make_shift, writer_of
from tests.foundation.test_i18n import catalogues, parse_po
from ville_hopital.money import format_amount

NBSP = "\xa0"
FRENCH = Path(__file__).resolve().parents[2] / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def test_every_counted_phrase_has_its_french_plural():
    """French is the source language; without a French entry gettext would apply n == 1 (« 0 postes »)."""
    with FRENCH.with_suffix(".mo").open("rb") as handle:
        compiled = gnu_gettext.GNUTranslations(handle)
    french = {(e.msgid, e.msgid_plural): e.msgstrs for e in parse_po(FRENCH) if e.msgid_plural is not None}
    for po in catalogues():
        for e in parse_po(po):
            if e.msgid_plural is None:
                continue
            assert french.get((e.msgid, e.msgid_plural)) == [e.msgid, e.msgid_plural], f"{po}: {e.msgid}"
            forms = [compiled.ngettext(e.msgid, e.msgid_plural, n) for n in (0, 1, 2)]
            assert forms == [e.msgid, e.msgid, e.msgid_plural], f"the .mo is older than the .po: {e.msgid}"


@pytest.mark.parametrize(
    ("language", "value", "expected"),
    [
        ("fr", Decimal("1234.5"), f"1{NBSP}234,50 €"),
        ("fr", Decimal("570.245"), "570,25 €"),  # to the cent, half up
        ("fr", Decimal("0"), "0,00 €"),
        ("en", Decimal("1234.5"), "1,234.50 €"),
        ("en", Decimal("570.24"), "570.24 €"),
    ],
)
def test_format_amount_follows_the_active_language(language, value, expected):
    with translation.override(language):
        assert format_amount(value) == expected
        assert format_amount(value, currency=False) == expected.removesuffix(" €")
    assert format_amount(None) == ""


@pytest.mark.parametrize(("language", "expected"), [("fr", f"1{NBSP}234,50 € | 1{NBSP}234,50"), ("en", "1,234.50 € | 1,234.50")])
def test_the_amount_filters(language, expected):
    template = Template("{% load amounts %}{{ pay|amount }} | {{ pay|amount_number }}")
    with translation.override(language):
        assert template.render(Context({"pay": Decimal("1234.50")})) == expected


def done_missions(pro, pays: list[Decimal]) -> None:
    for pay in pays:
        # History 40 days ago, written directly (a booking refuses a shift in the past).
        shift = make_shift(pay=pay, starts_at=local(timezone.localdate() - timedelta(days=40)), as_row=True)
        book(shift, pro, as_row=True, state=MissionState.DONE)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("n", "french", "english"),
    [(0, "mission effectuée", "missions completed"), (1, "mission effectuée", "mission completed"),
     (2, "missions effectuées", "missions completed")],
)
def test_earnings_count_is_plural_only_from_two_in_french(client, n, french, english):
    pro = make_professional()
    done_missions(pro, [Decimal("600.00")] * n)
    client.force_login(pro.user)
    page = client.get(reverse("missions:earnings"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert f'<div class="value">{n}</div>{french}<' in page
    client.cookies["django_language"] = "en"
    page = client.get(reverse("missions:earnings")).content.decode()
    assert f'<div class="value">{n}</div>{english}<' in page


@pytest.mark.django_db
def test_amounts_in_a_page_follow_the_language(client):
    pro = make_professional()
    done_missions(pro, [Decimal("1000.25"), Decimal("234.25")])
    client.force_login(pro.user)
    french = client.get(reverse("missions:earnings")).content.decode()
    assert f"1{NBSP}234,50 €" in french and "1234.50" not in french
    client.cookies["django_language"] = "en"
    english = client.get(reverse("missions:earnings")).content.decode()
    assert "1,234.50 €" in english and "1\xa0234,50" not in english


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "expected"), [("fr", "Rémunération : 570,24 € HT"), ("en", "Pay: €570.24 excl. VAT")])
def test_the_calendar_feed_writes_the_pay_in_the_readers_language(client, language, expected):
    pro = make_professional()
    proposal_accept(actor=pro.user, proposal=make_proposal(make_shift(pay=Decimal("570.24")), pro))
    response = client.get(reverse("professionals:calendar_feed", args=[pro.calendar_token]), HTTP_ACCEPT_LANGUAGE=language)
    (event,) = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert expected in str(event["description"])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "says", "never"),
    [("fr", ["648,00", "54,00 €/h × 12 h"], "648.00"), ("en", ["648.00", "54.00 €/h × 12 h"], "648,00")],
)
def test_the_pay_cap_error_writes_amounts_in_the_readers_language(language, says, never):
    # A nurse's 12 h shift in a public hospital: 54 €/h, so 648 €; 700 € is refused.
    with translation.override(language), pytest.raises(ValidationError) as error:
        make_shift(profession="60", hours=12, pay=Decimal("700.00"))
    message = error.value.message_dict["pay"][0]
    assert all(text in message for text in says) and never not in message


@pytest.mark.parametrize(
    ("most", "french"),
    [(0, "maximum de 0 mission pour"), (1, "maximum de 1 mission pour"), (2, "maximum de 2 missions pour")],
)
def test_the_monthly_cap_reason_counts_missions(most, french):
    with translation.override("fr"):
        for variant in ("missions", "with_offers"):
            exclusion = MonthlyCap().exclusion((variant, {"max": most}))
            assert french in exclusion.for_professional and french in exclusion.for_hr
    with translation.override("en"):
        exclusion = MonthlyCap().exclusion(("missions", {"max": most}))
        assert f"maximum of {most} {'mission' if most == 1 else 'missions'} for" in exclusion.for_professional


@pytest.mark.django_db
@pytest.mark.parametrize(("positions", "offers", "says"), [
    (1, 0, ["<strong>1</strong> poste<", "<strong>0</strong> proposition en attente<"]),
    (2, 1, ["<strong>2</strong> postes<", "<strong>1</strong> proposition en attente<"]),
    (2, 2, ["<strong>2</strong> postes<", "<strong>2</strong> propositions en attente<"]),
])
def test_why_unfilled_counts_positions_and_offers(client, positions, offers, says):
    shift = make_shift(positions=positions)
    for _ in range(offers):
        make_proposal(shift, make_professional())
    client.force_login(writer_of(shift.establishment))
    page = client.get(reverse("missions:matching_why_unfilled", args=[shift.pk])).content.decode()
    assert all(text in page for text in says), says


@pytest.mark.django_db
@pytest.mark.parametrize(("days", "french", "english"), [(0, "0 jour<", "0 days<"), (1, "1 jour<", "1 day<"), (2, "2 jours<", "2 days<")])
def test_the_privacy_notice_counts_days(client, settings, days, french, english):
    settings.PRIVACY_UNVERIFIED_SIGNUP_DAYS = days
    assert french in client.get(reverse("privacy:notice")).content.decode()
    assert english in client.get(reverse("privacy:notice"), HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.parametrize(
    ("weeks", "says"),
    [
        ([(0, 1, 0)], ["1 semaine du", "1 poste publié,", "0 pourvu au total."]),
        ([(0, 2, 1), (7, 0, 1)], ["2 semaines du", "2 postes publiés,", "2 pourvus au total."]),
        ([(0, 0, 0)], ["1 semaine du", "0 poste publié,", "0 pourvu au total."]),
    ],
)
def test_the_trend_chart_description_counts_weeks_and_positions(weeks, says):
    monday = timezone.localdate() - timedelta(days=timezone.localdate().weekday())
    with translation.override("fr"):
        svg = trend_svg([(monday + timedelta(days=d), posted, filled) for d, posted, filled in weeks])
    assert all(text in svg for text in says), says


@pytest.mark.parametrize(
    ("language", "says", "axis"),
    [
        ("fr", "2 semaines du 7 décembre 2026 au 14 décembre 2026 :", [">7 déc.<", ">14 déc.<"]),
        ("en", "2 weeks from Dec. 7, 2026 to Dec. 14, 2026:", [">Dec. 7<", ">Dec. 14<"]),
    ],
)
def test_the_trend_chart_writes_its_dates_in_the_readers_language(language, says, axis):
    weeks = [(date(2026, 12, 7), 1, 0), (date(2026, 12, 14), 2, 1)]
    with translation.override(language):
        svg = trend_svg(weeks)
    assert says in svg and all(label in svg for label in axis), svg
    assert "07/12" not in svg and "12/07" not in svg


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "says"),
    [("fr", "Choisissez une date entre le 1 janvier 2016 et le 31 décembre 2036."),
     ("en", "Choose a date between Jan. 1, 2016 and Dec. 31, 2036.")],
)
def test_the_dashboard_period_error_writes_its_dates_in_the_readers_language(language, says):
    with translation.override(language):
        form = FilterForm(QueryDict("start=1990-01-01"), scope=Scope(NATIONAL, None), today=date(2026, 12, 7))
        assert not form.is_valid()
        assert form.errors["start"] == [says]
