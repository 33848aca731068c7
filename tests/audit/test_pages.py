"""The trail's pages: an establishment's admin reads its trail, a professional who read their
documents, staff everything; anyone else gets the same 404 as for a missing page. Filters, the
CSV (formula cells neutralised, the export itself audited) and constant query counts."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from establishments.services import unit_create
from tests.audit.conftest import upload_credential
from tests.factories import UNIT_INFO, local, make_user
from tests.lists import group_headings, monday_of, week_of
from ville_hopital.audit import audit_record
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db


def trail_url(site, *, csv_export: bool = False, pk: int | None = None) -> str:
    name = "audit:establishment_csv" if csv_export else "audit:establishment"
    return reverse(name, args=[pk or site.establishment.pk])


def actions_on_page(response) -> set[str]:
    return {row["event"].action for row in response.context["rows"]}


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))


def downloads(client, site) -> None:
    """The viewer reads the professional's RCP, the admin the contract."""
    credential = upload_credential(site.pro)
    client.force_login(site.viewer)
    assert client.get(reverse("professionals:credential_download", args=[credential.pk])).status_code == 200
    client.force_login(site.admin)
    assert client.get(reverse("missions:contract_download", args=[site.contract.pk])).status_code == 200
    client.logout()


# --------------------------------------------------------------------------- who reads what


def test_the_admin_reads_the_establishment_trail_and_nothing_else(client, site):
    downloads(client, site)
    client.force_login(site.other_admin)  # a sign-in elsewhere: not the establishment's business
    client.force_login(site.admin)
    response = client.get(trail_url(site))
    assert response.status_code == 200
    shown = actions_on_page(response)
    assert {"establishment.register", "establishment.verify", "member_invitation.create", "unit.create",
            "shift.post", "mission.book", "contract.draft", "contract.download"} <= shown
    assert not shown & {"auth.login", "auth.logout", "credential.download", "professional.create"}
    other = {str(pk) for pk in (site.other_establishment.pk,)}
    assert not any(row["event"].target_type == "establishments.establishment" and row["event"].target_id in other
                   for row in response.context["rows"])
    assert "Contrat téléchargé" in response.content.decode()


@pytest.mark.parametrize("who", ["hr", "viewer", "other_admin", "pro", "other_pro"])
def test_anyone_but_the_admin_gets_a_404_on_the_establishment_trail(client, site, who):
    user = getattr(site, who)
    client.force_login(getattr(user, "user", user))
    assert client.get(trail_url(site)).status_code == 404
    assert client.get(trail_url(site, csv_export=True)).status_code == 404
    assert not AuditEvent.objects.filter(action="audit.export").exists()


def test_a_missing_establishment_is_the_same_404(client, site):
    client.force_login(site.admin)
    missing = site.other_establishment.pk + 1000
    assert client.get(trail_url(site, pk=missing)).status_code == 404
    assert client.get(trail_url(site, pk=site.other_establishment.pk)).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, site):
    for url in (trail_url(site), trail_url(site, csv_export=True), reverse("audit:mine"), reverse("audit:mine_csv")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_the_professional_reads_who_accessed_their_documents_and_their_sign_ins(client, site):
    downloads(client, site)
    client.post(reverse("account_login"), {"login": site.pro.user.email, "password": "wrong-password-42"})
    client.force_login(site.pro.user)
    response = client.get(reverse("audit:mine"))
    assert response.status_code == 200
    rows = response.context["rows"]
    readers = {(row["event"].action, row["event"].actor) for row in rows}
    assert ("credential.download", site.viewer) in readers and ("contract.download", site.admin) in readers
    assert {"auth.login", "auth.login_failed"} <= actions_on_page(response)
    assert not actions_on_page(response) & {"shift.post", "establishment.register", "contract.draft"}
    body = response.content.decode()
    assert site.viewer.email in body and "Justificatif téléchargé" in body


def test_another_professional_sees_none_of_it(client, site):
    downloads(client, site)
    client.force_login(site.other_pro.user)
    response = client.get(reverse("audit:mine"))
    assert response.status_code == 200
    events = [row["event"] for row in response.context["rows"]]
    assert events and all(e.target_id in {str(site.other_pro.user.pk), str(site.other_pro.pk)} for e in events)
    assert not actions_on_page(response) & {"credential.download", "contract.download"}


@pytest.mark.parametrize("who", ["hr", "viewer"])
def test_a_member_reads_only_their_own_account_events(client, site, who):
    downloads(client, site)
    user = getattr(site, who)
    client.force_login(user)
    events = [row["event"] for row in client.get(reverse("audit:mine")).context["rows"]]
    assert events and all((e.target_type, e.target_id) == ("accounts.user", str(user.pk)) for e in events)


def test_staff_read_everything_and_any_establishment(client, site):
    downloads(client, site)
    client.force_login(site.staff)
    response = client.get(reverse("audit:mine"))
    assert response.context["trail"].everything
    assert response.context["page"].paginator.count == AuditEvent.objects.count()
    assert client.get(trail_url(site)).status_code == 200
    assert client.get(trail_url(site, pk=site.other_establishment.pk)).status_code == 200


# --------------------------------------------------------------------------- filters, pages, CSV


def test_filters_action_actor_and_period(client, site):
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=40), tick=False):
        old_unit = unit_create(actor=site.hr, establishment=site.establishment, name="Ancienne", **UNIT_INFO)
    downloads(client, site)
    client.force_login(site.admin)

    def shown(**query) -> list[AuditEvent]:
        response = client.get(trail_url(site), query)
        assert response.status_code == 200
        return [row["event"] for row in response.context["rows"]]

    assert {e.action for e in shown(action="contract.")} >= {"contract.draft", "contract.download"}
    assert all(e.action.startswith("contract.") for e in shown(action="contract."))
    assert {e.action for e in shown(action="contract.download", acteur=site.admin.email.upper())} == {"contract.download"}
    assert shown(acteur="nobody-like-this@") == []
    old = timezone.localdate(now - timedelta(days=40))
    assert [e.action for e in shown(du=old.isoformat(), au=old.isoformat())] == ["unit.create"]
    assert str(old_unit.pk) not in {e.target_id for e in shown(du=(old + timedelta(days=1)).isoformat(), action="unit.")}
    assert str(old_unit.pk) in {e.target_id for e in shown(au=old.isoformat(), action="unit.")}
    # Out-of-bounds or malformed dates are no filter, never a 500 (``query_date``).
    assert len(shown(du="9999-12-31", au="0001-01-01")) == len(shown())
    assert len(shown(du="not-a-date", page="99999999999999")) == len(shown())


def test_pages_are_bounded(client, site):
    for n in range(60):
        audit_record(actor=site.hr, action="unit.update", target=site.mission.shift.unit, data={"n": n})
    client.force_login(site.admin)
    first = client.get(trail_url(site))
    assert len(first.context["rows"]) == 50 and first.context["page"].has_next()
    second = client.get(trail_url(site), {"page": 2})
    assert second.context["page"].number == 2 and second.context["rows"]


def test_the_csv_neutralises_formulas_and_is_itself_audited(client, site):
    site.hr.first_name = '=HYPERLINK("http://evil.example","x")'
    site.hr.save(update_fields=["first_name"])
    unit_create(actor=site.hr, establishment=site.establishment, name="=SUM(A1)", **UNIT_INFO)
    client.force_login(site.admin)
    response = client.get(trail_url(site, csv_export=True), {"action": "unit."})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *rows = csv_rows(response)
    assert header[:3] == ["Date", "Action", "Libellé"]
    assert rows and all(row[1].startswith("unit.") for row in rows)
    actors = {row[3] for row in rows}
    assert f"'=HYPERLINK(\"http://evil.example\",\"x\") <{site.hr.email}>" in actors
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
    [export] = AuditEvent.objects.filter(action="audit.export")
    assert (export.actor, export.target_type, export.target_id) == (
        site.admin, "establishments.establishment", str(site.establishment.pk))
    assert export.data["rows"] == len(rows) and export.data["action"] == "unit."
    client.force_login(site.pro.user)
    mine = client.get(reverse("audit:mine_csv"))
    assert mine.status_code == 200
    assert AuditEvent.objects.filter(action="audit.export", target_id=str(site.pro.user.pk)).exists()


# --------------------------------------------------------------------------- query counts


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def _grow(site, n: int) -> None:
    actors = [make_user() for _ in range(3)]
    for i in range(n):
        actor = actors[i % 3]
        audit_record(actor=actor, action="contract.download", target=site.contract, data={"document": "original"})
        audit_record(actor=actor, action="credential.download", target=site.pro, data={"credential": i})


@pytest.mark.parametrize("reader", ["admin", "pro", "staff"])
def test_query_counts_do_not_grow_with_the_trail(client, site, reader):
    user = getattr(site, reader)
    user = getattr(user, "user", user)
    client.force_login(user)
    url = trail_url(site) if reader == "admin" else reverse("audit:mine")
    csv_url = trail_url(site, csv_export=True) if reader == "admin" else reverse("audit:mine_csv")
    _grow(site, 3)
    small, small_csv = _queries(client, url), _queries(client, csv_url)
    _grow(site, 40)
    assert _queries(client, url) == small
    assert _queries(client, csv_url) == small_csv


# --------------------------------------------------------------------------- by week, paginated


def test_the_trail_goes_by_week_newest_first_each_week_a_table(client, site):
    monday = monday_of(timezone.localdate())
    unit = site.mission.shift.unit
    for day, n in ((monday - timedelta(days=10), 1), (monday - timedelta(days=4), 2)):
        with time_machine.travel(local(day, 12), tick=False):
            audit_record(actor=site.hr, action="unit.update", target=unit, data={"n": n})
    audit_record(actor=site.hr, action="unit.update", target=unit, data={"n": 3})
    client.force_login(site.admin)
    response = client.get(trail_url(site), {"action": "unit.update"})
    html = response.content.decode()
    assert group_headings(html, level=2) == ["Cette semaine", "La semaine dernière", week_of(monday - timedelta(days=14))]
    assert [[row["event"].data["n"] for row in week.rows] for week in response.context["weeks"]] == [[3], [2], [1]]
    assert html.count('<table class="audit-table stack-table" aria-labelledby="group-') == 3
    for raw, number in (("0", 1), ("-1", 1), ("abc", 1), ("99", 1), ("99999999999999999999", 1)):
        page = client.get(trail_url(site), {"action": "unit.update", "page": raw})
        assert page.status_code == 200 and page.context["page"].number == number, raw


def test_a_week_that_goes_on_to_the_next_page_says_so(client, site):
    for n in range(55):
        audit_record(actor=site.hr, action="unit.update", target=site.mission.shift.unit, data={"n": n})
    client.force_login(site.admin)
    second = client.get(trail_url(site), {"action": "unit.update", "page": "2"})
    assert len(second.context["rows"]) == 5
    assert group_headings(second.content.decode()) == ["Cette semaine (suite)"]
    assert 'href="?action=unit.update&amp;page=1"' in second.content.decode()
