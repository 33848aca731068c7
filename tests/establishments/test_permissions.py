"""The permission trio on every URL of the area: admin (alice), viewer (bob: reads yes, writes 403),
member of another establishment (charlie: 404). Anonymous visitors are sent to the login page."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from establishments.models import Shift, Unit
from missions.core.models import Mission, Proposal, ProposalSource
from tests.factories import (
    book,
    finess,
    make_establishment,
    make_professional,
    make_proposal,
    make_unit,
    make_user,
    move_to_past,
    post_shift,
    sign_in,
)
from ville_hopital.access import VIEW

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(alice, establishment_a, establishment_b, unit_a, shift_kwargs):
    shift = post_shift(actor=alice, **shift_kwargs)
    past = post_shift(actor=alice, **shift_kwargs)
    mission = book(past, make_professional(make_user("p@pro.test")))
    move_to_past(past)
    return {"a": establishment_a, "unit": unit_a, "shift": shift, "mission": mission}


def shift_form_data(world) -> dict:
    return {
        "unit": world["unit"].pk, "profession": "60", "day": (world["shift"].starts_at.date()).isoformat(),
        "template": "day", "positions": "1", "urgency": "3", "pay": "500.00",
    }


READS = [
    ("establishments:detail", "a"),
    ("establishments:members", "a"),
    ("missions:hr_board", "a"),
]
WRITE_PAGES = [
    ("establishments:unit_create", "a"),
    ("establishments:unit_update", "unit"),
    ("establishments:shift_create", "a"),
    ("establishments:shift_series_create", "a"),
    ("establishments:shift_import", "a"),
]


@pytest.mark.parametrize(("name", "key"), READS)
def test_reads(client, alice, bob, charlie, world, name, key):
    url = reverse(name, args=[world[key].pk])
    assert client.get(url).status_code == 302  # anonymous → login
    for user, expected in ((alice, 200), (bob, 200), (charlie, 404)):
        client.force_login(user)
        assert client.get(url).status_code == expected, (user, url)


@pytest.mark.parametrize(("name", "key"), WRITE_PAGES)
def test_write_pages(client, alice, bob, charlie, world, name, key):
    url = reverse(name, args=[world[key].pk])
    assert client.get(url).status_code == 302
    for user, expected in ((alice, 200), (bob, 403), (charlie, 404)):
        client.force_login(user)
        assert client.get(url).status_code == expected, (user, url)
        if user is not alice:
            assert client.post(url, {}).status_code == expected


def test_post_a_shift_through_the_form(client, alice, bob, charlie, world):
    url = reverse("establishments:shift_create", args=[world["a"].pk])
    before = Shift.objects.count()
    for user, expected in ((bob, 403), (charlie, 404)):
        client.force_login(user)
        assert client.post(url, shift_form_data(world)).status_code == expected
    assert Shift.objects.count() == before
    client.force_login(alice)
    response = client.post(url, shift_form_data(world))
    assert response.status_code == 302 and Shift.objects.count() == before + 1


def test_shift_form_shows_the_cap_when_pay_is_above(client, alice, world):
    client.force_login(alice)
    url = reverse("establishments:shift_create", args=[world["a"].pk])
    response = client.post(url, shift_form_data(world) | {"pay": "648.01"})
    assert response.status_code == 200
    assert "648,00" in response.content.decode()  # the cap, shown next to the pay field
    last_week = (timezone.localdate() - timedelta(days=7)).isoformat()  # past, inside the posting window
    bad = client.post(url, shift_form_data(world) | {"positions": "0", "day": last_week}).content.decode()
    assert "Il faut au moins un poste" in bad and "futur" in bad


def test_unit_forms(client, alice, bob, world):
    client.force_login(alice)
    url = reverse("establishments:unit_create", args=[world["a"].pk])
    assert client.post(url, {"name": "Gériatrie", "where_to_go": "Bâtiment B"}).status_code == 302
    assert client.post(url, {"name": "gériatrie"}).status_code == 200  # same name: refused
    unit = Unit.objects.get(name="Gériatrie")
    edit = reverse("establishments:unit_update", args=[unit.pk])
    assert client.post(edit, {"name": "Gériatrie", "parking": "P2"}).status_code == 302
    unit.refresh_from_db()
    assert unit.parking == "P2"


@pytest.mark.parametrize(
    ("name", "key", "data"),
    [
        ("missions:hr_shift_cancel", "shift", {"reason": "Fermeture"}),
        ("missions:hr_mission_complete", "mission", {"outcome": "done"}),
        ("establishments:shift_share", "shift", {"shared": "1"}),
    ],
)
def test_actions(client, alice, bob, charlie, world, name, key, data):
    url = reverse(name, args=[world[key].pk])
    for user, expected in ((charlie, 404), (bob, 403)):
        client.force_login(user)
        assert client.post(url, data).status_code == expected, (user, url)
        assert client.get(url).status_code in (405, expected)
    client.force_login(alice)
    assert client.post(url, data).status_code == 302
    world["shift"].refresh_from_db()
    world["mission"].refresh_from_db()
    assert world["shift"].state == "cancelled" or world["mission"].state == "done" or world["shift"].shared_with_legal_entity


def test_members_invite_is_for_admins(client, alice, bob, charlie, world):
    url = reverse("establishments:members", args=[world["a"].pk])
    for user, expected in ((charlie, 404), (bob, 403)):
        client.force_login(user)
        assert client.post(url, {"email": "new@x.test", "role": "hr"}).status_code == expected
    # Inviting asks for a recent second factor: the admin signs in with it (force_login records none).
    sign_in(client, alice)
    assert client.post(url, {"email": "new@x.test", "role": "hr"}).status_code == 302
    assert "new@x.test" in client.get(url).content.decode()


def test_import_page_reports_errors(client, alice, world):
    client.force_login(alice)
    url = reverse("establishments:shift_import", args=[world["a"].pk])
    bad = io.BytesIO(b"unite;salaire\r\nUrgences;12\r\n")
    bad.name = "vacations.csv"
    page = client.post(url, {"file": bad}).content.decode()
    assert "rien n&#x27;a été importé" in page or "rien n'a été importé" in page
    assert "colonne « salaire »" in page


def test_import_template_download(client, alice):
    client.force_login(alice)
    response = client.get(reverse("establishments:shift_import_template"))
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert "remuneration" in response.content.decode("utf-8-sig")


def test_switcher_keeps_the_current_establishment_and_refuses_others(client, alice, charlie, world, staff, mende):
    second = make_establishment(
        admin=alice, verified=False, finess_geo=finess("48000444"), finess_legal=world["a"].finess_legal,
        name="Site de Marvejols", commune=mende.code_insee, address="Rue du Pont",
    )
    client.force_login(alice)
    switch = reverse("establishments:switch")
    assert client.post(switch, {"establishment": second.pk}).url == reverse("establishments:detail", args=[second.pk])
    assert client.get(reverse("establishments:home")).url == reverse("establishments:detail", args=[second.pk])
    page = client.get(reverse("establishments:detail", args=[second.pk])).content.decode()
    assert "Site de Marvejols" in page and "CH de Mende" in page  # the switcher lists both
    client.force_login(charlie)
    assert client.post(switch, {"establishment": second.pk}).status_code == 404
    assert client.post(switch, {"establishment": "nope"}).status_code == 400  # malformed: refused, naming the field


def test_onboarding_page(client, charlie, mende):
    newcomer = make_user("drh@ch-florac.test")
    client.force_login(newcomer)
    url = reverse("establishments:onboarding")
    assert client.get(url).status_code == 200
    data = {
        "finess_geo": finess("48000321"), "finess_legal": finess("48000322"), "name": "Hôpital de Florac",
        "type": "CH", "commune": "Mende (48000)", "address": "Rue de l'Hôpital",
    }
    bad = client.post(url, data | {"finess_geo": "480003210" if finess("48000321")[-1] != "0" else "480003211"})
    assert bad.status_code == 200 and "clé de contrôle" in bad.content.decode()
    response = client.post(url, data)
    assert response.status_code == 302
    assert newcomer.memberships.get().establishment.name == "Hôpital de Florac"


def test_series_and_import_through_the_forms(client, alice, world):
    from django.utils import timezone

    from establishments.models import ShiftSeries
    from tests.establishments.test_series_and_import import csv_bytes, row

    client.force_login(alice)
    url = reverse("establishments:shift_series_create", args=[world["a"].pk])
    first_day = (timezone.localdate() + timedelta(days=3)).isoformat()
    data = shift_form_data(world) | {"first_day": first_day, "weekdays": ["5", "6"], "weeks": "3", "template": "night"}
    del data["day"]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert ShiftSeries.objects.get().shifts.count() == 6
    bad = client.post(url, data | {"pay": "999"}).content.decode()
    assert "plafond" in bad and ShiftSeries.objects.count() == 1

    before = Shift.objects.count()
    # Day shifts: the series above posted nights, and a line whose shift exists is not imported again.
    good = csv_bytes([row(3, debut="08:00", fin="20:00"), row(4, debut="08:00", fin="20:00")])
    good.name = "vacations.csv"
    response = client.post(reverse("establishments:shift_import", args=[world["a"].pk]), {"file": good})
    assert response.status_code == 302 and Shift.objects.count() == before + 2


def test_viewer_sees_the_board_without_any_action(client, bob, world):
    client.force_login(bob)
    page = client.get(reverse("missions:hr_board", args=[world["a"].pk])).content.decode()
    assert f'id="shift-{world["shift"].pk}"' in page
    assert "Annuler la vacation" not in page and "Service fait" not in page and "Publier une vacation" not in page


def _site_of_the_same_legal_entity_with_a_shared_shift(world, alice, mende, *, verified: bool):
    """A second site declaring establishment a's legal FINESS, and a's shift shared with the entity."""
    from establishments.services import shift_share_with_legal_entity

    dana = make_user("dana@ch-langogne.test")
    site = make_establishment(
        admin=dana, verified=verified, finess_geo=finess("48000777"), finess_legal=world["a"].finess_legal,
        name="Site de Langogne", commune=mende.code_insee, address="Route de Mende",
    )
    shift_share_with_legal_entity(actor=alice, shift=world["shift"])
    return dana, site


def test_a_sister_site_sees_a_shared_shift_but_cannot_act_on_it(client, alice, world, mende):
    """Visible is not changeable: the sister site's HR reads the shared shift (board, HR's page) and
    every action on it, its mission or its candidacy is a 404, as for a shift that does not exist
    (``for_user(user, CHANGE)``), before its form is read."""
    dana, sister = _site_of_the_same_legal_entity_with_a_shared_shift(world, alice, mende, verified=True)
    shift, mission = world["shift"], world["mission"]
    Shift.objects.filter(pk=mission.shift_id).update(shared_with_legal_entity=True)  # the closed one too
    candidacy = make_proposal(shift, make_professional(), source=ProposalSource.CANDIDACY)
    assert Shift.objects.for_user(dana, VIEW).filter(pk=shift.pk).exists()
    assert Mission.objects.for_user(dana, VIEW).filter(pk=mission.pk).exists()
    assert Proposal.objects.for_user(dana, VIEW).filter(pk=candidacy.pk).exists()
    client.force_login(dana)
    page = client.get(reverse("missions:hr_board", args=[sister.pk])).content.decode()
    assert f'id="shift-{shift.pk}"' in page and "CH de Mende" in page
    assert "Annuler la vacation" not in page and "Service fait" not in page
    assert client.get(reverse("missions:hr_shift_act", args=[shift.pk])).status_code == 200
    refused = [
        ("missions:hr_shift_cancel", shift.pk, {"reason": "x"}),
        ("missions:hr_shift_offer", shift.pk, {"professional": candidacy.professional_id}),
        ("missions:hr_shift_raise", shift.pk, {"pay": "650"}),
        ("missions:hr_shift_urgent", shift.pk, {}),
        ("establishments:shift_share", shift.pk, {"shared": "0"}),
        ("missions:hr_mission_complete", mission.pk, {"outcome": "done"}),
        ("missions:hr_candidacy_confirm", candidacy.pk, {}),
    ]
    for name, pk, data in refused:
        assert client.post(reverse(name, args=[pk]), data).status_code == 404, name
    shift.refresh_from_db()
    mission.refresh_from_db()
    candidacy.refresh_from_db()
    assert (shift.state, shift.urgent, shift.shared_with_legal_entity) == ("published", False, True)
    assert mission.state == "booked" and candidacy.state == "pending"
    assert not Proposal.objects.filter(shift=shift, source=ProposalSource.MANUAL).exists()


def test_the_shared_shifts_own_site_acts_on_it(client, alice, bob, world, mende):
    """The control: the same actions on the same shared shift, by its own site: its viewer is refused
    (403, a role that only reads), its admin closes the mission and cancels the shift."""
    _site_of_the_same_legal_entity_with_a_shared_shift(world, alice, mende, verified=True)
    shift, mission = world["shift"], world["mission"]
    client.force_login(bob)
    assert client.post(reverse("missions:hr_shift_cancel", args=[shift.pk]), {"reason": "x"}).status_code == 403
    assert client.post(reverse("missions:hr_mission_complete", args=[mission.pk]), {"outcome": "done"}).status_code == 403
    client.force_login(alice)
    page = client.get(reverse("missions:hr_board", args=[world["a"].pk]) + "?du=" + (
        timezone.localdate() - timedelta(days=30)).isoformat()).content.decode()
    assert "Annuler la vacation" in page and "Service fait" in page
    assert client.post(reverse("missions:hr_mission_complete", args=[mission.pk]), {"outcome": "done"}).status_code == 302
    assert client.post(reverse("missions:hr_shift_cancel", args=[shift.pk]), {"reason": "x"}).status_code == 302
    shift.refresh_from_db()
    mission.refresh_from_db()
    assert shift.state == "cancelled" and mission.state == "done"


def test_a_pending_site_declaring_the_groups_legal_finess_sees_none_of_its_shared_shifts(client, alice, world, mende):
    """The legal FINESS of a hospital group is public: declaring it at registration must not open the
    group's shared shifts (booked names, pending offers) before staff have verified the site."""
    mallory, impostor = _site_of_the_same_legal_entity_with_a_shared_shift(world, alice, mende, verified=False)
    client.force_login(mallory)
    page = client.get(reverse("missions:hr_board", args=[impostor.pk])).content.decode()
    assert f'id="shift-{world["shift"].pk}"' not in page and "CH de Mende" not in page
    assert client.get(reverse("missions:matching_why_unfilled", args=[world["shift"].pk])).status_code == 404


def test_invitation_accept_page(client, alice, charlie, world):
    from establishments.services import member_invitation_create

    invitation = member_invitation_create(actor=alice, establishment=world["a"], email="eve@ch-mende.test", role="hr")
    url = reverse("establishments:invitation_accept", args=[invitation.token])
    assert client.get(url).status_code == 302  # log in first
    eve = make_user("eve@ch-mende.test")
    client.force_login(charlie)
    assert client.post(url).status_code == 403  # another address
    client.force_login(eve)
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.url == reverse("establishments:detail", args=[world["a"].pk])
    assert eve.memberships.get().role == "hr"
    assert client.post(url).status_code == 302  # used: back home with a message


def test_a_pending_establishment_cannot_import(client, alice, mende):
    from tests.establishments.test_series_and_import import csv_bytes, row

    pending = make_establishment(
        admin=alice, verified=False, finess_geo=finess("48000999"), finess_legal=finess("48000998"), name="Pending",
        commune=mende.code_insee, address="x",
    )
    make_unit(pending, by=alice)
    client.force_login(alice)
    file = csv_bytes([row()])
    file.name = "v.csv"
    page = client.post(reverse("establishments:shift_import", args=[pending.pk]), {"file": file}).content.decode()
    assert "vérifié" in page and not Shift.objects.exists()
