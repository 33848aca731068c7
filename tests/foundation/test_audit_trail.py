"""The audit trail is append-only: not from the admin (superusers included), not from the ORM, not
from raw SQL; the database itself refuses (PostgreSQL, where evidence is kept)."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from tests.factories import make_user
from ville_hopital.audit import audit_record
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event() -> AuditEvent:
    actor = make_user("alice@example.org")
    return audit_record(actor=actor, action="test.sensitive", target=actor, from_state="a", to_state="b")


def test_a_superuser_can_read_but_not_delete_or_change_from_the_admin(client, event):
    client.force_login(make_user("root@example.org", is_staff=True, is_superuser=True))
    change_url = reverse("admin:ville_hopital_auditevent_change", args=[event.pk])
    assert client.get(change_url).status_code == 200
    assert client.get(reverse("admin:ville_hopital_auditevent_delete", args=[event.pk])).status_code == 403
    response = client.post(reverse("admin:ville_hopital_auditevent_changelist"),
                           {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"})
    assert response.status_code in (200, 302)
    assert AuditEvent.objects.filter(pk=event.pk, action="test.sensitive").exists()


@pytest.mark.postgres
@pytest.mark.parametrize(
    "write",
    [
        lambda e: AuditEvent.objects.filter(pk=e.pk).delete(),
        lambda e: e.delete(),
        lambda e: AuditEvent.objects.filter(pk=e.pk).update(to_state="forged"),
        lambda e: connection.cursor().execute("DELETE FROM ville_hopital_auditevent WHERE id = %s", [e.pk]),
    ],
    ids=["queryset-delete", "instance-delete", "queryset-update", "raw-sql-delete"],
)
def test_the_database_refuses_to_change_or_delete_a_row(event, write):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        write(event)
    event.refresh_from_db()
    assert event.to_state == "b"


@pytest.mark.postgres
def test_rows_are_still_added():
    before = AuditEvent.objects.count()
    actor = make_user("bob@example.org")
    audit_record(actor=actor, action="test.more", target=actor)
    assert AuditEvent.objects.count() == before + 1
