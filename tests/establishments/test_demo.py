"""The demo step: believable, valid, idempotent, through the services."""

from __future__ import annotations

import io
import random
from datetime import timedelta

import pytest
from django.utils import timezone

from establishments import demo
from establishments.csv_import import shifts_import_csv, template_csv
from establishments.models import (
    Establishment,
    EstablishmentStatus,
    MemberRole,
    Membership,
    Shift,
    ShiftSeries,
)
from tests.factories import writer_of
from ville_hopital import demo as platform_demo
from ville_hopital.demo import DemoContext
from ville_hopital.identifiers import is_valid_finess

pytestmark = pytest.mark.django_db


def test_demo_is_valid_and_idempotent():
    ctx = DemoContext(rng=random.Random(2026), size=1)
    platform_demo.seed(ctx)
    demo.seed(ctx)
    establishments = list(Establishment.objects.select_related("type", "commune"))
    assert len(establishments) == 12
    assert all(e.status == EstablishmentStatus.VERIFIED and is_valid_finess(e.finess_geo) for e in establishments)
    assert {e.commune.departement_id for e in establishments} == {"48", "34", "12", "30"}
    assert {e.type_id for e in establishments} >= {"CHU", "CH", "EHPAD", "CLINIQUE", "ESPIC", "MOBILE"}
    shifts = Shift.objects.all()
    assert shifts.count() > 100
    now = timezone.now()
    assert all(now < s.starts_at < now + timedelta(days=32) for s in shifts)
    assert all(s.pay_cap is None or s.pay <= s.pay_cap for s in shifts)
    assert shifts.filter(urgent=True).exists()
    assert {timezone.localtime(s.starts_at).hour for s in shifts} == {8, 20}
    assert ShiftSeries.objects.count() == 2
    mobile = Shift.objects.filter(establishment__type__is_mobile=True)
    assert mobile.exists() and all(s.location.departement_id == "48" for s in mobile)
    mende = Establishment.objects.get(name="CH de Mende")
    assert Membership.objects.get(user__email=demo.HR_EMAIL, establishment=mende).role == MemberRole.ADMIN
    assert Membership.objects.get(user__email=demo.VIEWER_EMAIL, establishment=mende).role == MemberRole.VIEWER
    assert Establishment.objects.for_user(Membership.objects.get(establishment=mende, role="admin").user).count() == 2
    assert ("RH établissement (CH de Mende, admin)", demo.HR_EMAIL) in ctx.logins
    before = (Establishment.objects.count(), Shift.objects.count(), Membership.objects.count())
    demo.seed(DemoContext(rng=random.Random(2026), size=1))
    assert (Establishment.objects.count(), Shift.objects.count(), Membership.objects.count()) == before


def test_every_demo_establishments_template_imports_as_it_is():
    """The downloadable template once named units the demo establishments do not have."""
    ctx = DemoContext(rng=random.Random(2026), size=1)
    platform_demo.seed(ctx)
    demo.seed(ctx)
    for establishment in Establishment.objects.select_related("type", "commune__region"):
        report = shifts_import_csv(actor=writer_of(establishment), establishment=establishment,
                                   file=io.BytesIO(template_csv(establishment).encode("utf-8")))
        assert report.ok and report.created + report.already_imported >= 1, (establishment.name, report.errors[:3])
