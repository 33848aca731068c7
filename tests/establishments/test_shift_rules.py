"""Posting one shift: legal pay caps (every profession, overseas, boundaries), contract routes,
and the bad inputs of the issue — each refused with the field named and nothing written."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_DOWN, Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from establishments.models import Shift
from establishments.services import ShiftSpec, establishment_verify
from reference import data
from reference.models import Profession
from territories.models import Commune
from tests.factories import (
    add_member,
    finess,
    in_days,
    make_establishment,
    make_unit,
    make_user,
    post_shift,
    skill,
)
from ville_hopital.models import AuditEvent
from ville_hopital.money import format_amount

pytestmark = pytest.mark.django_db

HOURS = 10  # 08:00–18:00


def expected_cap(code: str, skill_code: str | None = None, *, overseas: bool = False, hours: int | Decimal = HOURS) -> Decimal | None:
    """Recomputed from reference/data.py (not from the selector under test)."""
    rows = [r for r in data.PAY_CAPS if r[0] == code and r[1] in (None, skill_code)]
    if not rows:
        return None
    row = max(rows, key=lambda r: r[1] is not None)
    unit = Decimal(row[4] if overseas and row[4] else row[3])
    # 2,681 € per 24 h for a 24 h shift is 2,681 € exactly: multiply before dividing.
    amount = unit * hours / 24 if row[2] == "per_24h" else unit * hours
    return amount.quantize(Decimal("0.01"), rounding=ROUND_DOWN)


def post(alice, unit, code, pay, *, skills=(), start=8, end=18, **extra):
    fields = {
        "actor": alice, "unit": unit, "profession": Profession.objects.get(code=code),
        "required_skills": [skill(s) for s in skills], "starts_at": in_days(5, start), "ends_at": in_days(5, end),
        "positions": 1, "urgency": 3, "urgent": False, "pay": pay,
    }
    return post_shift(**(fields | extra))


@pytest.mark.parametrize("code", [p[0] for p in data.PROFESSIONS])
def test_cap_of_every_profession_at_the_boundary(alice, unit_a, code):
    cap = expected_cap(code)
    if cap is None:  # nursing assistants: no published cap, any pay is accepted
        shift = post(alice, unit_a, code, Decimal("999.00"))
        assert shift.pay_cap is None
        return
    shift = post(alice, unit_a, code, cap)
    assert shift.pay == cap and shift.pay_cap == cap
    assert shift.pay_cap_explanation
    with pytest.raises(ValidationError) as error:
        post(alice, unit_a, code, cap + Decimal("0.01"))
    assert list(error.value.message_dict) == ["pay"]
    assert format_amount(cap) in error.value.message_dict["pay"][0]
    assert Shift.objects.count() == 1


def test_physician_cap_is_per_24_hours_pro_rata(alice, unit_a):
    shift = post(alice, unit_a, "10", Decimal("2681.00"), start=8, end=8, ends_at=in_days(6, 8))
    assert shift.pay_cap == Decimal("2681.00")
    night = post(alice, unit_a, "10", Decimal("1340.50"), start=20, ends_at=in_days(6, 8))
    assert night.pay_cap == Decimal("1340.50")


@pytest.mark.parametrize("skill_code", ["SI06", "SI07"])
def test_ibode_and_iade_use_their_higher_cap(alice, unit_a, skill_code):
    cap = expected_cap("60", skill_code)
    assert cap == Decimal("730.00")
    assert post(alice, unit_a, "60", cap, skills=[skill_code]).pay_cap == cap
    with pytest.raises(ValidationError):
        post(alice, unit_a, "60", cap, skills=[])  # the same pay without the specialty is above the IDE cap


@pytest.fixture
def overseas_ch(alice, staff):
    est = make_establishment(
        admin=alice, verified_by=staff, finess_geo=finess("97400001"), finess_legal=finess("97400002"),
        name="CHU de La Réunion", type_code="CHU", commune="97411", address="Allée des Topazes",
    )
    return make_unit(est, by=alice)


@pytest.mark.parametrize("code", ["10", "21", "40"])
def test_overseas_amounts_apply_in_overseas_regions(alice, overseas_ch, code):
    cap = expected_cap(code, overseas=True)
    assert cap == (Decimal("3752") / 24 * HOURS).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    assert post(alice, overseas_ch, code, cap).pay_cap == cap
    with pytest.raises(ValidationError) as error:
        post(alice, overseas_ch, code, cap + Decimal("0.01"))
    assert format_amount(cap) in error.value.message_dict["pay"][0]


def test_overseas_without_an_overseas_amount_uses_the_national_one(alice, overseas_ch):
    assert post(alice, overseas_ch, "60", Decimal("540.00")).pay_cap == Decimal("540.00")
    with pytest.raises(ValidationError):
        post(alice, overseas_ch, "60", Decimal("540.01"))


def test_private_establishments_are_not_capped(charlie, unit_b):
    shift = post(charlie, unit_b, "60", Decimal("2000.00"))
    assert shift.pay_cap is None and shift.contract_route == "liberal_service"


# --------------------------------------------------------------------------- routes


@pytest.fixture
def ehpad_unit(alice, staff):
    est = make_establishment(
        admin=alice, verified_by=staff, finess_geo=finess("48000555"), finess_legal=finess("48000556"),
        name="EHPAD Les Terrasses", type_code="EHPAD", commune="48095", address="1 rue des Écoles",
    )
    return make_unit(est, by=alice, name="Unité Alzheimer")


def test_nursing_assistant_in_an_ehpad_is_forbidden_with_its_legal_basis(alice, ehpad_unit):
    with pytest.raises(ValidationError) as error:
        post(alice, ehpad_unit, "35", Decimal("200.00"))
    assert "profession" in error.value.message_dict
    assert "Conseil d'État, 11 février 2025" in error.value.message_dict["profession"][0]
    assert not Shift.objects.exists()


@pytest.mark.parametrize(
    ("code", "route"),
    [("10", "convention_l6146_2"), ("50", "convention_l6146_2"), ("40", "convention_l6146_2"),
     ("60", "fixed_term"), ("70", "fixed_term"), ("35", "fixed_term")],
)
def test_route_in_a_public_hospital(alice, unit_a, code, route):
    cap = expected_cap(code) or Decimal("200.00")
    assert post(alice, unit_a, code, cap).contract_route == route


def test_nurse_in_an_ehpad_is_a_liberal_service(alice, ehpad_unit):
    assert post(alice, ehpad_unit, "60", Decimal("400.00")).contract_route == "liberal_service"


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("change", "field"),
    [  # (days from today, hour): made a datetime in the test, not when the module is imported
        ({"ends_at": (4, 19)}, "ends_at"),  # end before start
        ({"ends_at": (4, 20)}, "ends_at"),  # end equal to start
        ({"ends_at": (5, 21)}, "ends_at"),  # 25 h
        ({"starts_at": (-1, 20), "ends_at": (0, 8)}, "starts_at"),  # past
        ({"positions": 0}, "positions"),
        ({"positions": 51}, "positions"),
        ({"urgency": 0}, "urgency"),
        ({"pay": Decimal("0")}, "pay"),
        ({"pay": Decimal("10.001")}, "pay"),
        ({"pay": Decimal("648.01")}, "pay"),  # 12 h × 54 € = 648 €
        ({"required_skills": "SM59"}, "required_skills"),  # a physician's specialty on a nurse's shift
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(alice, shift_kwargs, change, field):
    if change.get("required_skills") == "SM59":
        change = {"required_skills": [skill("SM59")]}
    change = {name: in_days(*value) if isinstance(value, tuple) else value for name, value in change.items()}
    before = AuditEvent.objects.count()
    with pytest.raises(ValidationError) as error:
        post_shift(actor=alice, **(shift_kwargs | change))
    assert field in error.value.message_dict
    assert not Shift.objects.exists()
    assert AuditEvent.objects.count() == before


def test_a_valid_shift_is_stored_with_its_cap_route_and_place(alice, shift_kwargs, establishment_a):
    shift = post_shift(actor=alice, **(shift_kwargs | {"pay": Decimal("648.00")}))
    assert shift.pay_cap == Decimal("648.00")
    assert "54" in shift.pay_cap_explanation and "L6146-3" in shift.pay_cap_explanation
    assert shift.contract_route == "fixed_term"
    assert shift.location == establishment_a.commune
    assert shift.urgent is False
    assert AuditEvent.objects.filter(action="shift.post", target_id=str(shift.pk)).exists()


def test_within_48_hours_a_shift_is_urgent(alice, shift_kwargs):
    soon = timezone.now() + timedelta(hours=30)
    shift = post_shift(actor=alice, **(shift_kwargs | {"starts_at": soon, "ends_at": soon + timedelta(hours=12)}))
    assert shift.urgent is True
    later = post_shift(actor=alice, **(shift_kwargs | {"urgent": True}))
    assert later.urgent is True


def test_viewer_and_outsider_cannot_post(bob, charlie, shift_kwargs):
    for actor in (bob, charlie):
        with pytest.raises(PermissionDenied):
            post_shift(actor=actor, **shift_kwargs)
    assert not Shift.objects.exists()


def test_only_an_admin_shares_with_the_legal_entity(alice, shift_kwargs, establishment_a):
    from establishments.models import MemberRole
    from establishments.services import shift_share_with_legal_entity

    shift = post_shift(actor=alice, **shift_kwargs)
    hr = make_user("hr@ch-mende.test")
    add_member(establishment_a, hr, MemberRole.HR)
    with pytest.raises(PermissionDenied):
        shift_share_with_legal_entity(actor=hr, shift=shift)
    shift_share_with_legal_entity(actor=alice, shift=shift)
    shift.refresh_from_db()
    assert shift.shared_with_legal_entity


def test_a_shared_shift_is_seen_by_the_other_sites_of_the_legal_entity(alice, staff, shift_kwargs, establishment_a):
    from establishments.services import shift_share_with_legal_entity

    dana = make_user("dana@ch-langogne.test")
    sister = make_establishment(
        admin=dana, verified=False, finess_geo=finess("48000777"), finess_legal=establishment_a.finess_legal,
        name="Site de Langogne", commune="48080", address="Route de Mende",
    )
    shift = post_shift(actor=alice, **shift_kwargs)
    assert not Shift.objects.for_user(dana).exists()
    shift_share_with_legal_entity(actor=alice, shift=shift)
    assert not Shift.objects.for_user(dana).exists()  # a declared legal FINESS opens nothing before verification
    establishment_verify(actor=staff, establishment=sister)
    assert list(Shift.objects.for_user(dana)) == [shift]
    assert sister.finess_legal == establishment_a.finess_legal


# --------------------------------------------------------------------------- mobile units


@pytest.fixture
def mobile_unit(alice, staff):
    est = make_establishment(
        admin=alice, verified_by=staff, finess_geo=finess("48000888"), finess_legal=finess("48000889"),
        name="Médicobus de Lozère", type_code="MOBILE", commune="48095", address="Hôtel du Département",
    )
    return make_unit(est, by=alice, name="Consultations")


def test_a_mobile_unit_names_where_it_parks(alice, mobile_unit):
    with pytest.raises(ValidationError) as error:
        post(alice, mobile_unit, "60", Decimal("300.00"))
    assert "location" in error.value.message_dict
    florac = Commune.objects.get(code_insee="48061")
    shift = post(alice, mobile_unit, "60", Decimal("300.00"), location=florac)
    assert shift.location == florac


# --------------------------------------------------------------------------- properties


def _last_sunday(year: int, month: int):
    from datetime import date

    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def test_a_night_across_the_autumn_clock_change_is_paid_for_its_13_real_hours(alice, unit_a):
    from establishments.services import SHIFT_TEMPLATES, shift_times

    sunday = _last_sunday(timezone.localdate().year + 1, 10)
    starts_at, ends_at = shift_times(sunday - timedelta(days=1), *SHIFT_TEMPLATES["night"])
    assert ends_at - starts_at == timedelta(hours=13)
    assert (timezone.localtime(starts_at).hour, timezone.localtime(ends_at).hour) == (20, 8)
    shift = post(alice, unit_a, "60", Decimal("702.00"), starts_at=starts_at, ends_at=ends_at)
    assert shift.pay_cap == Decimal("702.00")
    # Given as Paris wall-clock datetimes, the duration is still the real one.
    paris = (timezone.localtime(starts_at), timezone.localtime(ends_at))
    assert post(alice, unit_a, "60", Decimal("702.00"), starts_at=paris[0], ends_at=paris[1]).pay_cap == Decimal("702.00")


def test_a_night_across_the_spring_clock_change_lasts_11_hours(alice, unit_a):
    from establishments.services import SHIFT_TEMPLATES, shift_times

    sunday = _last_sunday(timezone.localdate().year + 1, 3)
    starts_at, ends_at = shift_times(sunday - timedelta(days=1), *SHIFT_TEMPLATES["night"])
    assert ends_at - starts_at == timedelta(hours=11)
    with pytest.raises(ValidationError):
        post(alice, unit_a, "60", Decimal("648.00"), starts_at=starts_at, ends_at=ends_at)  # 11 h × 54 € = 594 €


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    code=st.sampled_from([p[0] for p in data.PROFESSIONS]),
    quarters=st.integers(min_value=1, max_value=96),
    cents=st.integers(min_value=-500, max_value=500),
)
def test_cap_boundary_holds_for_any_duration(alice, unit_a, code, quarters, cents):
    """For any duration (15 min steps up to 24 h): the cap itself passes, anything above it fails."""
    from establishments.services import shift_validate

    starts_at = in_days(6, 6)
    ends_at = starts_at + timedelta(minutes=15 * quarters)
    hours = Decimal(quarters) / 4
    cap = expected_cap(code, hours=hours)
    base = cap if cap is not None else Decimal("100.00")
    pay = base + Decimal(cents) / 100
    spec = ShiftSpec(unit=unit_a, profession=Profession.objects.get(code=code), positions=1, urgency=3, urgent=False, pay=pay)
    kwargs = {"actor": alice, "spec": spec, "starts_at": starts_at, "ends_at": ends_at}
    if pay <= 0:
        return
    if cap is None or pay <= cap:
        draft = shift_validate(**kwargs)
        assert draft.shift.pay_cap == cap
    else:
        with pytest.raises(ValidationError) as error:
            shift_validate(**kwargs)
        assert list(error.value.message_dict) == ["pay"] and format_amount(cap) in error.value.message_dict["pay"][0]
