"""The CSV exports opened as a spreadsheet user opens them: LibreOffice Calc, headless.

Establishments and units named like formulas (``=HYPERLINK(…)``, ``+1+1``, ``-2+3``, ``@SUM(1)``)
are exported through the real views, the file is converted by ``soffice --convert-to xlsx`` with the
export's own separator, UTF-8 and French number reading (the exports write decimal commas), and the
workbook read back with openpyxl: each name is a text cell showing what the export wrote (OWASP's
apostrophe, which LibreOffice keeps and shows, then the name), never a formula; the figures are
still numbers. Without the apostrophe (``spreadsheet_cells.csv_text_cell``) LibreOffice reads
``=1+1`` as a formula: the control line of the first test.

LibreOffice is Debian's ``libreoffice-calc-nogui`` (``make system-deps``, ``.ci/run``): missing, this
module fails in CI (``CI`` set) and is skipped elsewhere, with the reason.
"""

from __future__ import annotations

import csv
import subprocess
from pathlib import Path

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dashboards.services import aggregates_rebuild
from tests.factories import make_ars_agent, make_establishment, make_shift, make_unit, writer_of
from tests.system_tools import required_tool

pytestmark = pytest.mark.django_db

FORMULA_LIKE = ('=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(1)")
FRENCH = 1036  # LibreOffice's language code for fr-FR: how a French user's Calc reads "12,5"
UTF_8, DOUBLE_QUOTE = 76, ord('"')


@pytest.fixture(scope="module")
def soffice() -> str:
    return required_tool("soffice", "libreoffice-calc-nogui")


def as_libreoffice_reads_it(soffice: str, csv_bytes: bytes, tmp_path: Path) -> list[list]:
    """The rows of ``csv_bytes`` once LibreOffice has opened it (converted to xlsx), as openpyxl cells."""
    separator = csv.Sniffer().sniff(csv_bytes.decode("utf-8-sig").splitlines()[0], delimiters=";,\t").delimiter
    source = tmp_path / "export.csv"
    source.write_bytes(csv_bytes)
    # A private profile: no first-start dialog, nothing shared with another run or a user's own Calc.
    subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp_path / 'lo').as_uri()}", "--headless", "--convert-to", "xlsx",
         f"--infilter=CSV:{ord(separator)},{DOUBLE_QUOTE},{UTF_8},1,,{FRENCH}", "--outdir", str(tmp_path / "out"),
         str(source)],
        check=True, capture_output=True, timeout=120,
    )
    sheet = load_workbook(tmp_path / "out" / "export.xlsx").worksheets[0]
    return [list(row) for row in sheet.iter_rows()]


def assert_names_are_text(rows: list[list], names: tuple[str, ...]) -> None:
    formulas = [(cell.coordinate, cell.value) for row in rows for cell in row if cell.data_type == "f"]
    assert not formulas, f"read as formulas: {formulas}"
    cells = {cell.value: cell for row in rows for cell in row if isinstance(cell.value, str)}
    for name in names:
        shown = "'" + name  # what the export wrote, and what Calc shows
        assert shown in cells, (name, sorted(cells))
        assert cells[shown].data_type == "s", (name, cells[shown].data_type)


def test_a_control_line_without_the_apostrophe_is_a_formula(soffice, tmp_path):
    """The check can fail: the same conversion reads an unprotected ``=1+1`` as a formula."""
    rows = as_libreoffice_reads_it(soffice, "\ufeffnom;postes\r\n=1+1;3\r\n".encode(), tmp_path)
    assert [(cell.value, cell.data_type) for cell in rows[1]] == [("=1+1", "f"), (3, "n")]


def test_the_ars_establishments_export_shows_formula_like_names_as_text(client, soffice, tmp_path):
    establishments = [make_establishment(name=name, commune="48095") for name in FORMULA_LIKE]
    for establishment in establishments:
        make_shift(establishment, positions=2)
    aggregates_rebuild()
    client.force_login(make_ars_agent("76"))
    response = client.get(reverse("dashboards:export", args=["76", "etablissements", "csv"]))
    assert response.status_code == 200

    rows = as_libreoffice_reads_it(soffice, response.content, tmp_path)
    assert_names_are_text(rows, FORMULA_LIKE)
    header = [cell.value for cell in rows[0]]
    posted = header.index("Postes publiés")
    figures = [row[posted] for row in rows[1:]]
    assert len(figures) == len(FORMULA_LIKE)
    assert all(cell.data_type == "n" and cell.value == 2 for cell in figures), [(c.value, c.data_type) for c in figures]


def test_the_import_template_shows_formula_like_unit_names_as_text(client, soffice, tmp_path):
    establishment = make_establishment()
    for name in FORMULA_LIKE:
        make_unit(establishment, name=name)
    client.force_login(writer_of(establishment))
    response = client.get(reverse("establishments:shift_import_template_for", args=[establishment.pk]))
    assert response.status_code == 200

    rows = as_libreoffice_reads_it(soffice, response.content, tmp_path)
    assert_names_are_text(rows, FORMULA_LIKE)
    header = [cell.value for cell in rows[0]]
    positions, pay = (header.index(column) for column in ("postes", "remuneration"))
    for row in rows[1:]:
        assert (row[positions].value, row[positions].data_type) == (1, "n")
        assert row[pay].data_type == "n" and row[pay].value > 0
