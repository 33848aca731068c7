"""The one ``ShiftSpec``: the posting form, a CSV line and the recurring posting read the same
input into the same spec (and the same times), so the one validation sees the same shift."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from establishments.csv_import import LineLookups, line_spec
from establishments.forms import ShiftForm, ShiftSeriesForm
from establishments.services import ShiftSpec, series_dates, shift_times
from tests.factories import profession, skill

pytestmark = pytest.mark.django_db


def test_form_csv_line_and_series_give_equal_specs_for_equal_input(establishment_a, unit_a):
    day = timezone.localdate() + timedelta(days=5)
    fields = {
        "unit": unit_a.pk, "profession": "60", "required_skills": ["SI07"], "template": "night",
        "positions": "2", "urgency": "4", "urgent": "on", "pay": "648.00",
    }
    one_off = ShiftForm(fields | {"day": day.isoformat()}, establishment=establishment_a, can_share=False)
    recurring = ShiftSeriesForm(
        fields | {"first_day": day.isoformat(), "weekdays": [str(day.weekday())], "weeks": "1"},
        establishment=establishment_a, can_share=False,
    )
    assert one_off.is_valid(), one_off.errors
    assert recurring.is_valid(), recurring.errors
    problems: list[tuple[str, str]] = []
    line = {
        "unite": "Urgences", "profession": "IDE", "competences": "SI07", "date": f"{day:%d/%m/%Y}", "debut": "20:00",
        "fin": "08:00", "postes": "2", "urgence": "4", "urgent": "oui", "remuneration": "648,00", "lieu": "",
    }
    read = line_spec(row=line, lookups=LineLookups(establishment_a), problems=problems)
    assert problems == [] and read is not None
    from_csv, csv_starts_at, csv_ends_at = read

    expected = ShiftSpec(
        unit=unit_a, profession=profession("IDE"), required_skills=[skill("SI07")], positions=2, urgency=4,
        urgent=True, pay=Decimal("648.00"),
    )
    assert one_off.spec() == recurring.spec() == from_csv == expected
    assert isinstance(from_csv.required_skills, tuple)  # whatever each entry point held
    # And when: the form's day, the line's date and the series' only occurrence are the same night.
    [occurrence] = series_dates(
        first_day=recurring.cleaned_data["first_day"], weekdays=recurring.cleaned_data["weekdays"], weeks=1
    )
    assert (
        shift_times(one_off.cleaned_data["day"], *one_off.times())
        == shift_times(occurrence, *recurring.times())
        == (csv_starts_at, csv_ends_at)
    )
