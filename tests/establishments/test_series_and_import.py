"""Recurring posting (all or nothing) and CSV import (encodings, separators, line-by-line errors)."""

from __future__ import annotations

import csv
import io
from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from establishments.csv_import import COLUMNS, shifts_import_csv, template_csv
from establishments.models import Shift, ShiftSeries
from establishments.services import ShiftSpec, shift_series_post
from tests.factories import make_unit, profession
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db


def next_weekday(weekday: int, *, after_days: int = 3):
    day = timezone.localdate() + timedelta(days=after_days)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def series(alice, unit, **extra):
    """A recurring posting; ``extra`` changes what is posted (the spec) or when (the rule of dates)."""
    when = {"first_day": timezone.localdate() + timedelta(days=3), "weekdays": [5], "weeks": 8, "start": time(20), "end": time(8)}
    when |= {name: extra.pop(name) for name in list(extra) if name in when}
    spec = {"unit": unit, "profession": profession("IDE"), "positions": 1, "urgency": 3, "urgent": False, "pay": Decimal("500.00")}
    return shift_series_post(actor=alice, spec=ShiftSpec(**(spec | extra)), **when)


def test_every_saturday_night_for_eight_weeks(alice, unit_a):
    result = series(alice, unit_a)
    shifts = list(result.shifts.order_by("starts_at"))
    assert len(shifts) == 8
    first = next_weekday(5)
    for week, shift in enumerate(shifts):
        start = timezone.localtime(shift.starts_at)
        end = timezone.localtime(shift.ends_at)
        assert start.date() == first + timedelta(weeks=week)
        assert (start.hour, end.hour) == (20, 8)
        assert end.date() == start.date() + timedelta(days=1)
        assert shift.series == result and shift.pay_cap is not None
    assert "samedi" in result.rule
    assert AuditEvent.objects.filter(action="shift_series.post", target_id=str(result.pk)).exists()


def test_several_weekdays_with_the_day_template(alice, unit_a):
    result = series(alice, unit_a, weekdays=[0, 2, 4], weeks=2, start=time(8), end=time(20))
    assert result.shifts.count() == 6
    assert {timezone.localtime(s.starts_at).weekday() for s in result.shifts.all()} == {0, 2, 4}


def test_one_bad_date_and_nothing_is_posted(alice, unit_a):
    today = timezone.localdate()
    with pytest.raises(ValidationError) as error:
        series(alice, unit_a, first_day=today, weekdays=range(7), weeks=2, start=time(0), end=time(8))
    assert f"{today:%d/%m/%Y}" in error.value.message_dict["starts_at"][0]
    assert not Shift.objects.exists() and not ShiftSeries.objects.exists()


def test_pay_above_the_cap_refuses_the_whole_series(alice, unit_a):
    with pytest.raises(ValidationError) as error:
        series(alice, unit_a, pay=Decimal("700.00"))
    assert "pay" in error.value.message_dict
    assert not Shift.objects.exists()


@pytest.mark.parametrize(("change", "field"), [({"weekdays": []}, "weekdays"), ({"weeks": 0}, "weeks"), ({"weeks": 27}, "weeks")])
def test_series_bad_input(alice, unit_a, change, field):
    with pytest.raises(ValidationError) as error:
        series(alice, unit_a, **change)
    assert field in error.value.message_dict


def test_viewer_cannot_post_a_series(bob, unit_a):
    with pytest.raises(PermissionDenied):
        series(bob, unit_a)


# --------------------------------------------------------------------------- CSV


HEADER = list(COLUMNS)


def row(day_offset: int = 3, **values) -> list[str]:
    day = timezone.localdate() + timedelta(days=day_offset)
    base = {
        "unite": "Urgences", "profession": "IDE", "competences": "", "date": f"{day:%d/%m/%Y}", "debut": "20:00",
        "fin": "08:00", "postes": "1", "urgence": "3", "urgent": "non", "remuneration": "600,00", "lieu": "",
    }
    base.update(values)
    return [base[c] for c in HEADER]


def csv_bytes(rows, *, delimiter=";", encoding="utf-8", bom=False, header=None) -> io.BytesIO:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    raw = out.getvalue().encode(encoding)
    return io.BytesIO((b"\xef\xbb\xbf" if bom else b"") + raw)


@pytest.fixture
def reanimation(alice, establishment_a):
    return make_unit(establishment_a, by=alice, name="Réanimation")


def do_import(actor, establishment, file):
    return shifts_import_csv(actor=actor, establishment=establishment, file=file)


@pytest.mark.parametrize(
    ("encoding", "bom", "delimiter"),
    [("utf-8", True, ";"), ("utf-8", False, ";"), ("cp1252", False, ";"), ("utf-8", False, ","), ("cp1252", False, ",")],
)
def test_good_file_in_every_encoding_and_separator(alice, establishment_a, unit_a, reanimation, encoding, bom, delimiter):
    rows = [
        row(3),
        row(4, unite="Réanimation", competences="SI07", debut="08:00", fin="20:00", remuneration="876,00", postes="2"),
        row(5, profession="60", remuneration="1 200,00" if False else "648", urgent="oui", urgence="5"),
    ]
    report = do_import(alice, establishment_a, csv_bytes(rows, delimiter=delimiter, encoding=encoding, bom=bom))
    assert report.ok, report.errors
    assert report.created == 3 and report.delimiter == delimiter
    assert report.encoding == ("utf-8-sig" if bom else encoding)
    rea = Shift.objects.get(unit=reanimation)
    assert rea.positions == 2 and rea.pay == Decimal("876.00") and rea.pay_cap == Decimal("876.00")
    assert list(rea.required_skills.values_list("code", flat=True)) == ["SI07"]
    assert Shift.objects.filter(urgent=True).count() == 1
    assert AuditEvent.objects.filter(action="shift.import_csv").count() == 1


def test_downloadable_template_lists_every_column_and_imports(alice, establishment_a, unit_a, reanimation):
    text = template_csv()
    assert text.startswith("\ufeff") and text.splitlines()[0].lstrip("\ufeff") == ";".join(COLUMNS)


def test_a_wrong_column_is_named_and_nothing_is_imported(alice, establishment_a, unit_a):
    header = [("salaire" if c == "remuneration" else c) for c in HEADER]
    report = do_import(alice, establishment_a, csv_bytes([row()], header=header))
    assert not report.ok
    assert {(e.line, e.column) for e in report.errors} == {(1, "salaire"), (1, "remuneration")}
    assert "ligne 1, colonne « salaire »" in str(report.errors[0])
    assert not Shift.objects.exists()


def test_partial_errors_are_all_reported_with_line_and_column(alice, establishment_a, unit_a):
    rows = [
        row(3),
        row(3, remuneration="700,00"),  # line 3: above 12 h × 54 €
        row(3),
        row(3, unite="Cardiologie"),  # line 5
        row(3, postes="0"),  # line 6
        row(-2),  # line 7: in the past
        row(3, debut="25:00"),  # line 8
        row(3, profession="XYZ"),  # line 9
    ]
    report = do_import(alice, establishment_a, csv_bytes(rows))
    found = {(e.line, e.column) for e in report.errors}
    assert found == {(3, "remuneration"), (5, "unite"), (6, "postes"), (7, "date"), (8, "debut"), (9, "profession")}
    assert "648" in next(e.message for e in report.errors if e.line == 3)
    assert report.created == 0 and not Shift.objects.exists()


def _thousand_rows(bad_line: int | None = None) -> list[list[str]]:
    rows = []
    for i in range(1000):
        # 1,000 different shifts: 28 days × 36 start minutes (a repeated line would be imported once).
        day_offset = 2 + i % 28
        minute = i // 28
        values = {"debut": f"08:{minute:02d}", "fin": f"20:{minute:02d}"} if i % 2 else {
            "debut": f"20:{minute:02d}", "fin": f"08:{minute:02d}"}
        if bad_line is not None and i + 2 == bad_line:  # data starts on line 2
            values["date"] = "31/02/2027"
        rows.append(row(day_offset, **values))
    return rows


def test_bad_date_on_line_734_of_a_1000_line_file(alice, establishment_a, unit_a):
    report = do_import(alice, establishment_a, csv_bytes(_thousand_rows(bad_line=734)))
    assert [(e.line, e.column) for e in report.errors] == [(734, "date")]
    assert "31/02/2027" in report.errors[0].message
    assert str(report.errors[0]).startswith("ligne 734, colonne « date »")
    assert not Shift.objects.exists()


def test_1000_lines_import_at_once(alice, establishment_a, unit_a):
    """Its speed is measured by ``bench/bench_documents.py`` (docs/bench/documents.md), not asserted here (a timed test fails on a busy machine)."""
    report = do_import(alice, establishment_a, csv_bytes(_thousand_rows()))
    assert report.ok, report.errors[:3]
    assert report.created == 1000 == Shift.objects.filter(establishment=establishment_a).count()


def test_viewer_and_outsider_cannot_import(bob, charlie, establishment_a, unit_a):
    for actor in (bob, charlie):
        with pytest.raises(PermissionDenied):
            do_import(actor, establishment_a, csv_bytes([row()]))
    assert not Shift.objects.exists()


def test_an_empty_file_and_a_file_with_only_a_header(alice, establishment_a, unit_a):
    assert not do_import(alice, establishment_a, io.BytesIO(b"")).ok
    assert not do_import(alice, establishment_a, csv_bytes([])).ok


def test_a_line_with_missing_values(alice, establishment_a, unit_a):
    file = io.BytesIO((";".join(HEADER) + "\r\nUrgences;IDE\r\n").encode())
    report = do_import(alice, establishment_a, file)
    assert [e.line for e in report.errors] == [2]
