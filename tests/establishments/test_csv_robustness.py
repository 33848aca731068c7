"""CSV import against what spreadsheets and attackers send: every case ends in a report naming the line
(and the column), never in a server error, and nothing is half-written; importing twice creates once."""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

import openpyxl
from django.urls import reverse
from django.utils import timezone

from establishments.models import Shift
from missions.booking.services.shifts import shift_cancel
from tests.factories import make_unit
from ville_hopital.models import AuditEvent

from .test_series_and_import import HEADER, csv_bytes, do_import, row


def test_a_cell_over_the_csv_modules_limit_is_a_line_error(alice, establishment_a, unit_a):
    huge = "x" * (200 * 1024)  # the csv module refuses a field over 128 KiB
    report = do_import(alice, establishment_a, csv_bytes([row(3), row(4, unite=huge)]))
    assert not report.ok
    assert report.errors[0].line == 3 and "illisible" in report.errors[0].message
    assert not Shift.objects.exists()


def test_a_bom_before_a_windows_1252_body_is_read_as_windows_1252(alice, establishment_a):
    reanimation = make_unit(establishment_a, by=alice, name="Réanimation")
    report = do_import(alice, establishment_a, csv_bytes([row(3, unite="Réanimation")], encoding="cp1252", bom=True))
    assert report.ok, report.errors
    assert report.encoding == "cp1252" and Shift.objects.get().unit == reanimation


def test_excels_trailing_empty_columns_are_ignored(alice, establishment_a, unit_a):
    raw = csv_bytes([row(3), row(4)]).getvalue().decode().replace("\r\n", ";;\r\n")
    report = do_import(alice, establishment_a, io.BytesIO(raw.encode()))
    assert report.ok, report.errors
    assert report.created == 2


def test_a_control_character_in_a_cell_is_named_and_nothing_is_written(alice, establishment_a, unit_a):
    report = do_import(alice, establishment_a, csv_bytes([row(3), row(4, unite="Urg\x00ences")]))
    assert [(e.line, e.column) for e in report.errors] == [(3, "unite")]
    assert "caractère invisible" in report.errors[0].message
    assert not Shift.objects.exists()


def test_the_same_file_imported_twice_creates_each_shift_once(alice, establishment_a, unit_a):
    rows = [row(3), row(4), row(4, debut="08:00", fin="20:00")]
    first = do_import(alice, establishment_a, csv_bytes(rows))
    second = do_import(alice, establishment_a, csv_bytes(rows))
    assert (first.created, first.already_imported) == (3, 0)
    assert second.ok, second.errors
    assert (second.created, second.already_imported) == (0, 3)
    assert Shift.objects.count() == 3
    assert AuditEvent.objects.filter(action="shift.import_csv").latest("pk").data["already_imported"] == 3


def test_a_line_repeated_in_one_file_is_one_shift_and_a_cancelled_one_does_not_count(alice, establishment_a, unit_a):
    report = do_import(alice, establishment_a, csv_bytes([row(3), row(3)]))
    assert (report.created, report.already_imported) == (1, 1)
    shift_cancel(actor=alice, shift=Shift.objects.get(), reason="plus besoin")
    again = do_import(alice, establishment_a, csv_bytes([row(3)]))
    assert again.created == 1  # the need came back: a cancelled shift is not the same posting


def test_the_import_page_says_how_many_lines_were_already_imported(client, alice, establishment_a, unit_a):
    client.force_login(alice)
    url = reverse("establishments:shift_import", args=[establishment_a.pk])
    for _ in range(2):
        upload = csv_bytes([row(3), row(4)])
        upload.name = "vacations.csv"
        response = client.post(url, {"file": upload}, follow=True)
    page = response.content.decode()
    assert "2 lignes déjà importées auparavant" in page and "vacations importées" not in page


def test_the_establishments_template_names_its_own_units_and_imports_as_it_is(client, alice, establishment_a, unit_a):
    make_unit(establishment_a, by=alice, name="Réanimation")
    client.force_login(alice)
    response = client.get(reverse("establishments:shift_import_template_for", args=[establishment_a.pk]))
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert [line.split(";")[0] for line in text.splitlines()[1:]] == ["Réanimation", "Urgences"]
    report = do_import(alice, establishment_a, io.BytesIO(response.content))
    assert report.ok, report.errors
    assert report.created == 2


def test_the_template_of_someone_elses_establishment_is_a_404(client, charlie, establishment_a, unit_a):
    client.force_login(charlie)
    assert client.get(reverse("establishments:shift_import_template_for", args=[establishment_a.pk])).status_code == 404


def _xlsx(rows: list[list]) -> io.BytesIO:
    """A workbook as Excel saves it: dates, times and numbers as typed cells, not text."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for cells in rows:
        sheet.append(cells)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def test_an_excel_workbook_imports_like_the_csv(alice, establishment_a, unit_a):
    day = timezone.localdate() + timedelta(days=3)
    rows = [
        ["Urgences", "IDE", None, datetime.combine(day, time(0)), time(8, 0), time(20, 0), 2, 3, "non", 600.0, None],
        ["Urgences", "IDE", None, datetime.combine(day, time(0)), time(20, 0), time(8, 0), 1, None, None, 648.0, None, None],
    ]
    report = do_import(alice, establishment_a, _xlsx(rows))
    assert report.ok, report.errors
    assert (report.created, report.encoding) == (2, "xlsx")
    day_shift = next(s for s in Shift.objects.all() if timezone.localtime(s.starts_at).hour == 8)
    assert day_shift.positions == 2 and day_shift.pay == Decimal("600.00")


def test_a_damaged_workbook_is_a_clear_error(alice, establishment_a, unit_a):
    report = do_import(alice, establishment_a, io.BytesIO(b"PK\x03\x04 not really a workbook"))
    assert not report.ok and "xlsx illisible" in report.errors[0].message
    assert not Shift.objects.exists()


def test_the_import_page_takes_an_xlsx_upload(client, alice, establishment_a, unit_a):
    client.force_login(alice)
    day = timezone.localdate() + timedelta(days=3)
    upload = _xlsx([["Urgences", "IDE", None, datetime.combine(day, time(0)), time(8, 0), time(20, 0), 1, 3, "non", 600, None]])
    upload.name = "vacations.xlsx"
    response = client.post(reverse("establishments:shift_import", args=[establishment_a.pk]), {"file": upload})
    assert response.status_code == 302 and Shift.objects.count() == 1
