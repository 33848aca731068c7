"""The professional's pages through the test client: profile, calendar, credentials, proposals,
missions, iCal feed, earnings; bad input and permissions."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import icalendar
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from establishments.models import MemberRole
from missions.booking.services.proposals import proposal_accept
from missions.core.models import CancelledBy, Mission, MissionState, Proposal, ProposalState
from professionals.models import Availability, Credential, Professional
from tests.factories import (
    book,
    local,
    make_availability,
    make_establishment,
    make_professional,
    make_proposal,
    make_shift,
    make_user,
    valid_rpps,
)
from tests.lists import group_headings, monday_of, week_of
from ville_hopital.months import add_months, next_month

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def following_month() -> tuple[int, int]:
    following = next_month(timezone.localdate())
    return following.year, following.month


def profile_data(**overrides) -> dict:
    data = {
        "profession": "60", "rpps": valid_rpps(777), "adeli": "", "home_commune": "Mende (48000)", "radius_km": "40",
        "max_missions_per_month": "6", "min_notice_hours": "24", "expected_hourly_rate": "45.50",
    }
    data.update(overrides)
    return data


# --------------------------------------------------------------------------- profile


def test_new_professional_creates_profile(client):
    user = make_user()
    client.force_login(user)
    assert client.get(reverse("professionals:profile_create")).status_code == 200
    response = client.post(reverse("professionals:profile_create"), profile_data(skills=["SI08"]))
    assert response.status_code == 302, response.content.decode()[:2000]
    pro = Professional.objects.get(user=user)
    assert (pro.rpps, pro.home_commune_id, pro.radius_km) == (valid_rpps(777), "48095", 40)
    assert list(pro.skills.values_list("code", flat=True)) == ["SI08"]
    assert pro.expected_hourly_rate == Decimal("45.50")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"rpps": "10005173141"}, "rpps", "clé de contrôle"),
        ({"rpps": "1234"}, "rpps", "11 chiffres"),
        ({"rpps": ""}, "rpps", "RPPS"),
        ({"radius_km": "500"}, "radius_km", "200"),
        ({"radius_km": "0"}, "radius_km", "1"),
        ({"home_commune": "Nulle-Part-sur-Mer"}, "home_commune", "introuvable"),
        ({"skills": ["SM59"]}, "skills", "La compétence « Médecine d'urgence » n'existe pas pour la profession « Infirmier »."),
    ],
)
def test_profile_bad_input_names_the_field(client, overrides, field, message):
    client.force_login(make_user())
    response = client.post(reverse("professionals:profile_create"), profile_data(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field]), errors
    assert not Professional.objects.exists()


def test_duplicate_rpps_is_refused(client):
    make_professional(rpps=valid_rpps(777))
    client.force_login(make_user())
    response = client.post(reverse("professionals:profile_create"), profile_data())
    assert "déjà enregistré" in " ".join(response.context["form"].errors["rpps"])
    assert Professional.objects.count() == 1


def test_adeli_only_for_professions_still_on_adeli(client):
    client.force_login(make_user())
    response = client.post(reverse("professionals:profile_create"), profile_data(rpps="", adeli="480012345"))
    assert "rpps" in response.context["form"].errors
    response = client.post(
        reverse("professionals:profile_create"), profile_data(profession="35", rpps="", adeli="480012345")
    )
    assert response.status_code == 302
    assert Professional.objects.get().adeli == "480012345"


def test_edit_refused_when_it_breaks_a_booked_mission(client):
    pro = make_professional(max_missions_per_month=4, radius_km=50)
    proposal_accept(actor=pro.user, proposal=make_proposal(make_shift(establishment=None), pro))
    mission = Mission.objects.get(professional=pro)
    client.force_login(pro.user)
    url = reverse("professionals:profile_edit")
    base = profile_data(rpps=pro.rpps, radius_km="50", max_missions_per_month="4")
    response = client.post(url, {**base, "profession": "70"})
    assert "profession" in response.context["form"].errors
    response = client.post(url, {**base, "home_commune": "Montpellier (34000)"})  # ~150 km from Mende
    assert "hors de votre rayon" in " ".join(response.context["form"].errors["home_commune"])
    response = client.post(url, {**base, "blocked_establishments": [mission.shift.establishment_id]})
    assert "blocked_establishments" in response.context["form"].errors
    pro.refresh_from_db()
    assert (pro.profession_id, pro.home_commune_id) == ("60", "48095")
    response = client.post(url, {**base, "radius_km": "60"})  # harmless change
    assert response.status_code == 302
    pro.refresh_from_db()
    assert pro.radius_km == 60


# --------------------------------------------------------------------------- calendar


def calendar_url(year: int, month: int) -> str:
    return reverse("professionals:calendar", args=[year, month])


def test_calendar_saves_whole_month_and_is_idempotent(client):
    pro = make_professional()
    client.force_login(pro.user)
    year, month = following_month()
    slots = [f"{year:04d}-{month:02d}-05:D", f"{year:04d}-{month:02d}-05:N", f"{year:04d}-{month:02d}-20:N"]
    for _ in range(2):  # double submit
        response = client.post(calendar_url(year, month), {"slots": slots, "action": "save"})
        assert response.status_code == 302
    assert Availability.objects.filter(professional=pro).count() == 3
    response = client.post(calendar_url(year, month), {"slots": slots[:1], "action": "save"})
    assert set(Availability.objects.filter(professional=pro).values_list("slot", flat=True)) == {"D"}
    page = client.get(calendar_url(year, month))
    assert page.context["cal"].declared == 1
    assert "1 créneau déclaré" in page.content.decode()


def test_shortcut_every_saturday_without_js(client):
    pro = make_professional()
    client.force_login(pro.user)
    year, month = following_month()
    response = client.post(
        calendar_url(year, month), {"action": "shortcut", "shortcut_days": "wd5", "shortcut_slots": "D"}
    )
    assert response.status_code == 302
    days = list(Availability.objects.filter(professional=pro).values_list("day", "slot"))
    assert days and all(d.weekday() == 5 and s == "D" for d, s in days)
    assert len(days) in (4, 5)


def test_copy_last_month(client):
    pro = make_professional()
    client.force_login(pro.user)
    year, month = following_month()
    after = next_month(date(year, month, 1))
    client.post(calendar_url(year, month), {"action": "shortcut", "shortcut_days": "wd2", "shortcut_slots": "N"})
    client.post(calendar_url(after.year, after.month), {"action": "copy"})
    copied = Availability.objects.filter(professional=pro, day__month=after.month)
    assert copied.count() >= 4 and all(a.day.weekday() == 2 and a.slot == "N" for a in copied)


@pytest.mark.parametrize("bad", ["2020-01-01:D", "garbage", "{y}-{m}-03:X"])
def test_bad_slots_save_nothing(client, bad):
    pro = make_professional()
    client.force_login(pro.user)
    year, month = following_month()
    good = f"{year:04d}-{month:02d}-10:D"
    client.post(calendar_url(year, month), {"slots": [good]})
    response = client.post(
        calendar_url(year, month),
        {"slots": [f"{year:04d}-{month:02d}-11:D", bad.format(y=f"{year:04d}", m=f"{month:02d}")]},
    )
    assert response.status_code == 400
    assert "Créneau" in response.content.decode()
    assert list(Availability.objects.filter(professional=pro).values_list("day", flat=True)) == [
        timezone.datetime(year, month, 10).date()
    ]


def test_past_slots_are_read_only(client):
    pro = make_professional()
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    make_availability(pro, yesterday, "D", as_row=True)  # declared before it started
    client.force_login(pro.user)
    url = calendar_url(yesterday.year, yesterday.month)
    # Declaring a new slot in the past is refused, and names the slot.
    response = client.post(url, {"slots": [f"{yesterday.isoformat()}:N"]})
    assert response.status_code == 400 and "passé" in response.content.decode()
    # A form without the (disabled) past box keeps it.
    response = client.post(url, {"slots": []})
    assert response.status_code == 302
    assert Availability.objects.filter(professional=pro, day=yesterday, slot="D").exists()


def test_booked_slot_is_shown_and_kept(client):
    pro = make_professional()
    year, month = following_month()
    day = timezone.datetime(year, month, 12).date()
    make_availability(pro, day, "D")
    mission = proposal_accept(actor=pro.user, proposal=make_proposal(make_shift(starts_at=local(day, 8)), pro))
    client.force_login(pro.user)
    page = client.get(calendar_url(year, month))
    html = page.content.decode()
    assert reverse("missions:mission_detail", args=[mission.pk]) in html
    assert page.context["cal"].booked == 1
    client.post(calendar_url(year, month), {"slots": []})
    assert Availability.objects.filter(professional=pro, day=day, slot="D").exists()


def test_forged_post_cannot_touch_another_professional(client):
    me, other = make_professional(), make_professional()
    year, month = following_month()
    make_availability(other, timezone.datetime(year, month, 3).date(), "N")
    client.force_login(me.user)
    client.post(calendar_url(year, month), {"slots": [], "professional": other.pk, "user": other.user_id})
    assert Availability.objects.filter(professional=other).count() == 1


def test_calendar_query_count_is_constant(client, django_assert_max_num_queries):
    pro = make_professional(max_missions_per_month=31)
    year, month = following_month()
    client.force_login(pro.user)
    client.get(calendar_url(year, month))  # warm up session

    def count_queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(calendar_url(year, month)).status_code == 200
        return len(ctx.captured_queries)

    few = count_queries()
    client.post(calendar_url(year, month), {"action": "shortcut", "shortcut_days": "all", "shortcut_slots": "DN"})
    for d in (3, 10, 17):
        proposal_accept(
            actor=pro.user,
            proposal=make_proposal(make_shift(starts_at=local(timezone.datetime(year, month, d).date())), pro),
        )
    many = count_queries()
    assert Availability.objects.filter(professional=pro).count() >= 56
    assert many == few, (few, many)
    with django_assert_max_num_queries(12):
        client.get(calendar_url(year, month))


def test_calendar_month_bounds(client):
    client.force_login(make_professional().user)
    assert client.get(calendar_url(2026, 13)).status_code == 404
    today = timezone.localdate()
    far = add_months(today, 13)
    assert client.get(calendar_url(far.year, far.month)).status_code == 404
    assert client.get(reverse("professionals:calendar_current")).status_code == 302


# --------------------------------------------------------------------------- credentials


def upload(client, name="rcp.pdf", content=PDF, kind="insurance", expires=None):
    expires = expires or (timezone.localdate() + timedelta(days=200)).isoformat()
    return client.post(
        reverse("professionals:credentials"),
        {"kind": kind, "file": SimpleUploadedFile(name, content, "application/pdf"), "expires_on": expires},
    )


def test_credential_upload_and_limits(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pro = make_professional()
    client.force_login(pro.user)
    assert upload(client).status_code == 302
    assert Credential.objects.get().content_type == "application/pdf"
    response = upload(client, name="fake.pdf", content=b"MZ\x90\x00 not a pdf")
    assert response.status_code == 400 and "file" in response.context["form"].errors
    big = b"%PDF-" + b"0" * (10 * 1024 * 1024)
    response = upload(client, name="big.pdf", content=big)
    assert "10 Mo" in " ".join(response.context["form"].errors["file"])
    response = client.post(
        reverse("professionals:credentials"),
        {"kind": "insurance", "file": SimpleUploadedFile("rcp.png", b"\x89PNG\r\n\x1a\n....", "image/png")},
    )
    assert "expires_on" in response.context["form"].errors
    assert Credential.objects.count() == 1


def test_expired_insurance_makes_ineligible(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pro = make_professional()
    client.force_login(pro.user)
    today = timezone.localdate()
    assert not Professional.objects.eligible_on(today).filter(pk=pro.pk).exists()  # no insurance yet
    assert "Sans attestation" in client.get(reverse("professionals:home")).content.decode()
    upload(client)
    assert Professional.objects.eligible_on(today).filter(pk=pro.pk).exists()
    assert not Professional.objects.eligible_on(today + timedelta(days=400)).filter(pk=pro.pk).exists()
    Credential.objects.update(expires_on=today - timedelta(days=1))
    assert not Professional.objects.eligible_on(today).filter(pk=pro.pk).exists()
    assert "a expiré" in client.get(reverse("professionals:home")).content.decode()
    upload(client)  # renewed
    assert Professional.objects.eligible_on(today).filter(pk=pro.pk).exists()


def test_credential_download_permissions(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pro, other = make_professional(), make_professional()
    client.force_login(pro.user)
    upload(client)
    credential = Credential.objects.get()
    url = reverse("professionals:credential_download", args=[credential.pk])
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["X-Content-Type-Options"] == "nosniff"
    client.force_login(other.user)
    assert client.get(url).status_code == 404
    assert client.post(reverse("professionals:credential_remove", args=[credential.pk])).status_code == 404
    member, stranger = make_user(), make_user()
    establishment = make_establishment(members={member: MemberRole.VIEWER})
    make_establishment(members={stranger: MemberRole.HR})
    client.force_login(member)
    assert client.get(url).status_code == 404  # no mission yet
    book(make_shift(establishment=establishment), pro)
    assert client.get(url).status_code == 200
    client.force_login(stranger)
    assert client.get(url).status_code == 404
    Mission.objects.update(state=MissionState.CANCELLED)
    client.force_login(member)
    assert client.get(url).status_code == 404


# --------------------------------------------------------------------------- proposals, missions, feed, earnings


def test_inbox_accept_and_mission_pages(client):
    pro = make_professional()
    shift = make_shift(pay=Decimal("540.00"))
    proposal = make_proposal(shift, pro)
    client.force_login(pro.user)
    inbox = client.get(reverse("missions:proposals")).content.decode()
    assert shift.establishment.name in inbox and "540,00 €" in inbox and "12,3 km" in inbox
    response = client.post(reverse("missions:proposal_accept", args=[proposal.pk]))
    mission = Mission.objects.get(professional=pro)
    assert response.url == reverse("missions:mission_detail", args=[mission.pk])
    detail = client.get(response.url).content.decode()
    assert "Entrée B, 2e étage" in detail  # the unit's practical information
    assert shift.establishment.name in client.get(reverse("missions:my_missions")).content.decode()
    other = make_professional()
    late = make_proposal(make_shift(), other)
    # Written directly: an acceptance filling the shift would withdraw the offer; here it stays
    # pending and the acceptance meets a full shift.
    book(late.shift, pro, as_row=True)
    client.force_login(other.user)
    refused = client.post(reverse("missions:proposal_accept", args=[late.pk]), follow=True)
    assert "déjà pourvus" in refused.content.decode()
    assert not Mission.objects.filter(professional=other).exists()


def test_decline_with_reason_view(client):
    pro = make_professional()
    proposal = make_proposal(make_shift(), pro)
    client.force_login(pro.user)
    client.post(reverse("missions:proposal_decline", args=[proposal.pk]), {"reason": "Trop loin"})
    proposal.refresh_from_db()
    assert (proposal.state, proposal.decline_reason) == (ProposalState.DECLINED, "Trop loin")


def test_cancel_from_mission_page(client):
    pro = make_professional()
    mission = proposal_accept(actor=pro.user, proposal=make_proposal(make_shift(), pro))
    client.force_login(pro.user)
    url = reverse("missions:mission_detail", args=[mission.pk])
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400 and "reason" in response.context["form"].errors
    assert client.post(url, {"reason": "Enfant malade"}).status_code == 302
    mission.refresh_from_db()
    assert mission.state == MissionState.CANCELLED
    soon = proposal_accept(
        actor=pro.user,
        proposal=make_proposal(make_shift(starts_at=timezone.now() + timedelta(hours=30)), pro),
    )
    page = client.get(reverse("missions:mission_detail", args=[soon.pk])).content.decode()
    assert "moins de 48 h" in page
    response = client.post(reverse("missions:mission_detail", args=[soon.pk]), {"reason": "Panne"})
    assert response.status_code == 400 and "48 h" in response.content.decode()
    soon.refresh_from_db()
    assert soon.state == MissionState.BOOKED


def test_ical_feed_and_token_regeneration(client):
    pro = make_professional()
    shift = make_shift()
    proposal_accept(actor=pro.user, proposal=make_proposal(shift, pro))
    url = reverse("professionals:calendar_feed", args=[pro.calendar_token])
    response = client.get(url)  # no login: calendar apps do not log in
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    feed = icalendar.Calendar.from_ical(response.content)
    events = [c for c in feed.walk("VEVENT")]
    assert len(events) == 1
    assert events[0].decoded("dtstart") == shift.starts_at
    assert shift.establishment.name in str(events[0]["summary"])
    client.force_login(pro.user)
    client.post(reverse("professionals:calendar_token_renew"))
    client.logout()
    assert client.get(url).status_code == 404
    pro.refresh_from_db()
    assert client.get(reverse("professionals:calendar_feed", args=[pro.calendar_token])).status_code == 200


def test_calendar_uids_do_not_depend_on_the_host_that_fetches_the_feed(client, settings):
    settings.ALLOWED_HOSTS = ["testserver", "10.0.0.7", "agenda.example.org"]
    settings.SITE_URL = "https://ville-hopital.example.fr"
    pro = make_professional()
    mission = proposal_accept(actor=pro.user, proposal=make_proposal(make_shift(), pro))
    url = reverse("professionals:calendar_feed", args=[pro.calendar_token])
    uids = {
        str(event["uid"])
        for host in ("testserver", "10.0.0.7:8000", "agenda.example.org")
        for event in icalendar.Calendar.from_ical(client.get(url, HTTP_HOST=host).content).walk("VEVENT")
    }
    assert uids == {f"mission-{mission.pk}@ville-hopital.example.fr"}


def test_earnings_per_month(client):
    pro = make_professional()
    for pay, state in ((Decimal("500.10"), MissionState.DONE), (Decimal("300"), MissionState.DONE), (Decimal("999"), MissionState.BOOKED)):
        # History 40 days ago (999 € is above the cap): rows written directly, see make_shift and book.
        shift = make_shift(pay=pay, starts_at=local(timezone.localdate() - timedelta(days=40)), as_row=True)
        book(shift, pro, as_row=True, state=state)
    client.force_login(pro.user)
    response = client.get(reverse("missions:earnings"))
    assert response.context["total"] == Decimal("800.10") and response.context["count"] == 2


def test_another_professional_gets_404_everywhere(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    owner, intruder = make_professional(), make_professional()
    client.force_login(owner.user)
    upload(client)
    credential = Credential.objects.get()
    pending = make_proposal(make_shift(), owner)
    mission = proposal_accept(actor=owner.user, proposal=make_proposal(make_shift(), owner))
    client.force_login(intruder.user)
    for method, url in [
        ("get", reverse("professionals:credential_download", args=[credential.pk])),
        ("post", reverse("professionals:credential_remove", args=[credential.pk])),
        ("post", reverse("missions:proposal_accept", args=[pending.pk])),
        ("post", reverse("missions:proposal_decline", args=[pending.pk])),
        ("get", reverse("missions:mission_detail", args=[mission.pk])),
        ("post", reverse("missions:mission_detail", args=[mission.pk])),
    ]:
        assert getattr(client, method)(url).status_code == 404, url
    pending.refresh_from_db()
    assert pending.state == ProposalState.PENDING
    # Pages of the professional role are 404 for someone without a profile.
    client.force_login(make_user("nobody@example.org"))
    for name in ("professionals:home", "professionals:credentials", "missions:proposals", "missions:earnings"):
        assert client.get(reverse(name)).status_code == 404


def test_double_submits_are_harmless(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    pro = make_professional()
    client.force_login(pro.user)
    upload(client)
    upload(client)
    assert Credential.objects.count() == 1
    upload(client, name="autre.pdf", content=PDF + b"%")
    assert Credential.objects.count() == 2
    proposal = make_proposal(make_shift(), pro)
    url = reverse("missions:proposal_accept", args=[proposal.pk])
    first = client.post(url)
    second = client.post(url, follow=True)
    assert second.redirect_chain[-1][0] == first.url
    assert "déjà accepté" in second.content.decode()
    declined = make_proposal(make_shift(), pro)
    for _ in range(2):
        page = client.post(reverse("missions:proposal_decline", args=[declined.pk]), follow=True)
        assert "Proposition déclinée" in page.content.decode()
    mission = Mission.objects.get(professional=pro)
    for _ in range(2):
        response = client.post(reverse("missions:mission_detail", args=[mission.pk]), {"reason": "Imprévu"})
        assert response.status_code == 302
    assert Mission.objects.get(pk=mission.pk).state == MissionState.CANCELLED


@pytest.mark.parametrize("name", ["missions:proposals", "missions:my_missions", "professionals:home"])
def test_list_pages_query_count_does_not_grow(client, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pro = make_professional(max_missions_per_month=31)
    client.force_login(pro.user)

    def add(n: int, start: int) -> None:
        for k in range(n):
            shift = make_shift(starts_at=local(timezone.localdate() + timedelta(days=start + 2 * k)))
            proposal = make_proposal(shift, pro)
            if k % 2:
                proposal_accept(actor=pro.user, proposal=proposal)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse(name)).status_code == 200
        return len(ctx.captured_queries)

    add(2, 3)
    few = count()
    add(8, 9)
    assert count() == few


# --------------------------------------------------------------------------- long lists: by week, paginated


def _mission_on(pro, day, hour: int = 8, **booking) -> Mission:
    """``pro`` on a shift of ``day`` (a row: past, cancelled or close together as the test needs)."""
    shift = make_shift(starts_at=local(day, hour), as_row=True)
    return book(shift, pro, as_row=True, **booking)


def test_my_missions_three_lists_by_week(client):
    pro = make_professional(max_missions_per_month=31)
    monday = monday_of(timezone.localdate())
    next_week = _mission_on(pro, monday + timedelta(days=8))
    in_three_weeks = _mission_on(pro, monday + timedelta(days=22))
    last_week = _mission_on(pro, monday - timedelta(days=5))  # booked, ended: « service fait » not yet said
    long_ago = _mission_on(pro, monday - timedelta(days=19), state=MissionState.DONE)
    cancelled = _mission_on(pro, monday + timedelta(days=9), state=MissionState.CANCELLED,
                            cancelled_by=CancelledBy.PROFESSIONAL)
    client.force_login(pro.user)
    url = reverse("missions:my_missions")

    def lists(**query):
        response = client.get(url, query)
        assert response.status_code == 200
        html = response.content.decode()
        return group_headings(html, level=2), [[m.pk for m in w.rows] for w in response.context["weeks"]], html

    headings, rows, html = lists()
    assert headings == ["La semaine prochaine", week_of(monday + timedelta(days=21))]
    assert rows == [[next_week.pk], [in_three_weeks.pk]]
    assert 'aria-current="page">À venir (2)</a>' in html and "Passées (2)" in html and "Annulées (1)" in html
    assert lists(vue="passees")[:2] == (["La semaine dernière", week_of(monday - timedelta(days=21))],
                                         [[last_week.pk], [long_ago.pk]])  # latest first
    assert lists(vue="annulees")[:2] == (["La semaine prochaine"], [[cancelled.pk]])
    assert lists(vue="n'importe quoi")[:2] == lists()[:2]  # an unknown list: the default one
    for raw in ("0", "-1", "abc", "99", "99999999999999999999"):
        assert lists(vue="passees", page=raw)[1] == [[last_week.pk], [long_ago.pk]], raw


@pytest.mark.parametrize("view", ["passees", "annulees"])
def test_past_and_cancelled_missions_query_count_does_not_grow(client, view):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    pro = make_professional(max_missions_per_month=31)
    client.force_login(pro.user)
    today = timezone.localdate()
    state = MissionState.DONE if view == "passees" else MissionState.CANCELLED

    def add(days) -> None:
        for n in days:
            _mission_on(pro, today + timedelta(days=-n if view == "passees" else n), state=state,
                        cancelled_by=CancelledBy.ESTABLISHMENT if view == "annulees" else "")

    def count(shown: int) -> int:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("missions:my_missions"), {"vue": view})
        assert len(response.context["page"]) == shown
        return len(ctx.captured_queries)

    add(range(3, 5))
    few = count(2)
    add(range(5, 40, 3))
    assert count(14) == few


def test_the_inbox_goes_by_week_and_marks_seen_only_what_it_shows(client):
    pro = make_professional(max_missions_per_month=31)
    monday = monday_of(timezone.localdate())
    offers = [make_proposal(make_shift(starts_at=local(monday + timedelta(days=day), 8)), pro) for day in range(7, 30)]
    client.force_login(pro.user)
    url = reverse("missions:proposals")
    first = client.get(url)
    weeks = [week_of(monday + timedelta(days=n)) for n in (14, 21, 28)]
    assert group_headings(first.content.decode(), level=2) == ["La semaine prochaine", weeks[0], weeks[1]]
    assert [len(w.rows) for w in first.context["weeks"]] == [7, 7, 6]
    assert f'<h3 id="proposal-{offers[0].pk}">' in first.content.decode()
    seen = Proposal.objects.filter(professional=pro, seen_at__isnull=False)
    assert set(seen.values_list("pk", flat=True)) == {o.pk for o in offers[:20]}  # page 2 not shown yet
    second = client.get(url, {"page": "2"})
    assert group_headings(second.content.decode(), level=2) == [f"{weeks[1]} (suite)", weeks[2]]
    assert seen.count() == 23
    for raw, number in (("0", 1), ("abc", 1), ("3", 2), ("99999999999999999999", 1)):
        assert client.get(url, {"page": raw}).context["proposals"].number == number, raw


def test_the_professional_pages_show_only_their_own_rows_to_a_professional_who_is_also_hr(client):
    """« Mes missions », the inbox and a mission's page are the person's own as a professional:
    ``for_user`` lets an HR member see their site's missions (on HR's board), the pages narrow."""
    pro = make_professional()
    site = make_establishment(members={pro.user: MemberRole.HR})
    colleague_shift = make_shift(establishment=site)
    theirs = book(colleague_shift, make_professional())
    offer = make_proposal(make_shift(establishment=site), make_professional())
    mine = book(make_shift(), pro)
    assert Mission.objects.for_user(pro.user).filter(pk=theirs.pk).exists()  # HR may see it…
    client.force_login(pro.user)
    rows = [m.pk for week in client.get(reverse("missions:my_missions")).context["weeks"] for m in week.rows]
    assert rows == [mine.pk]  # …not in « Mes missions »
    assert client.get(reverse("missions:mission_detail", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("missions:proposal_accept", args=[offer.pk])).status_code == 404
    assert offer.pk not in [p.pk for p in client.get(reverse("missions:proposals")).context["proposals"]]
