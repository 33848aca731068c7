"""Every dashboard table as plain data (columns + rows): the page renders it, CSV and XLSX export it,
so a figure on screen and in a file cannot disagree."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.formats import date_format, get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from dashboards.figures import Figures
from dashboards.selectors import EstablishmentRow, Overview, ShortageRow


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "int"  # text, int, pct, dec1, dec2, date


@dataclass
class Table:
    slug: str
    title: str
    columns: list[Column]
    rows: list[list]
    caption: str = ""

    def body_html(self) -> SafeString:
        """The ``<tbody>`` rows, built here rather than in the template: a national table holds
        thousands of cells, and a template loop costs ~10 µs a node."""
        kinds = [c.kind for c in self.columns]
        seps = number_separators()
        out = []
        for row in self.rows:
            cells = [f'<th scope="row">{escape(format_cell(row[0], kinds[0], seps))}</th>']
            cells += [
                f'<td class="{"" if kind == "text" else "num"}">{escape(format_cell(value, kind, seps))}</td>'
                for value, kind in zip(row[1:], kinds[1:], strict=True)
            ]
            out.append(f"<tr>{''.join(cells)}</tr>")
        return mark_safe("\n".join(out))  # noqa: S308 - every cell is escaped above


def format_cell(value, kind: str, separators: tuple[str, str] | None = None) -> str:
    """Display of a cell in the active language (French: grouped thousands, decimal comma), rates in
    percent, "—" for none. ``separators`` (decimal, thousands) may be looked up once per table."""
    if value is None:
        return "—"
    if kind == "date":
        return date_format(value, "SHORT_DATE_FORMAT")
    if kind not in ("int", "dec1", "dec2", "pct"):
        return str(value)
    decimal, thousands = separators or number_separators()
    places = {"int": 0, "pct": 0, "dec1": 1, "dec2": 2}[kind]
    text = f"{value * 100 if kind == 'pct' else value:,.{places}f}"
    text = text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)
    return f"{text} %" if kind == "pct" else text


def number_separators() -> tuple[str, str]:
    return get_format("DECIMAL_SEPARATOR"), get_format("THOUSAND_SEPARATOR")


FIGURE_COLUMNS = [
    Column("posted", _("Postes publiés")),
    Column("filled", _("Postes pourvus")),
    Column("fill_rate", _("Taux de pourvoi"), "pct"),
    Column("urgent_unfilled_7d", _("Urgents non pourvus (7 j)")),
    Column("median_ttf_hours", _("Délai médian de pourvoi (h)"), "dec1"),
    Column("cancelled_by_pro", _("Annulées par le pro.")),
    Column("cancelled_by_estab", _("Annulées par l'étab.")),
    Column("cancelled_by_platform", _("Annulées par la plateforme")),
    Column("done", _("Missions effectuées")),
    Column("hours_done", _("Heures effectuées"), "dec1"),
    Column("fte", _("ETP mobilisés"), "dec2"),
    Column("active_professionals", _("Professionnels actifs")),
    Column("median_km", _("Distance médiane (km)"), "dec1"),
]


def figure_values(f: Figures) -> list:
    return [getattr(f, c.key) for c in FIGURE_COLUMNS]


def _figures_table(slug, title, label_columns: list[Column], items: Sequence[tuple[list, Figures]]) -> Table:
    return Table(slug, str(title), [*label_columns, *FIGURE_COLUMNS], [[*labels, *figure_values(f)] for labels, f in items])


def departement_table(o: Overview) -> Table:
    items = [([f"{code} {o.departement_names.get(code, '')}".strip()], f) for code, f in sorted(o.by_departement.items())]
    return _figures_table("departements", _("Par département"), [Column("label", _("Département"), "text")], items)


def profession_table(o: Overview) -> Table:
    items = sorted(((([o.profession_names.get(c, c)]), f) for c, f in o.by_profession.items()), key=lambda i: i[0][0])
    return _figures_table("professions", _("Par profession"), [Column("label", _("Profession"), "text")], items)


def type_table(o: Overview) -> Table:
    items = sorted((([o.type_names.get(c, c)]), f) for c, f in o.by_type.items())
    items.sort(key=lambda i: i[0][0])
    return _figures_table("types", _("Par type d'établissement"), [Column("label", _("Type"), "text")], items)


def trend_table(o: Overview) -> Table:
    return Table(
        "tendance",
        str(_("Tendance hebdomadaire")),
        [
            Column("week", _("Semaine du"), "date"),
            Column("posted", _("Postes publiés")),
            Column("filled", _("Postes pourvus")),
            Column("fill_rate", _("Taux de pourvoi"), "pct"),
        ],
        [[week, posted, filled, (filled / posted if posted else None)] for week, posted, filled in o.weeks],
    )


def establishment_table(rows: Sequence[EstablishmentRow]) -> Table:
    labels = [Column("name", _("Établissement"), "text"), Column("type", _("Type"), "text"),
              Column("commune", _("Commune"), "text")]
    return _figures_table(
        "etablissements", _("Établissements au plus faible taux de pourvoi"), labels,
        [([r.name, r.type_label, r.commune], r.figures) for r in rows],
    )


def shortage_table(rows: Sequence[ShortageRow]) -> Table:
    return Table(
        "penuries",
        str(_("Pénuries : demande supérieure aux disponibilités déclarées")),
        [
            Column("departement", _("Département"), "text"),
            Column("profession", _("Profession"), "text"),
            Column("open", _("Postes ouverts")),
            Column("slots", _("Créneaux disponibles déclarés")),
            Column("gap", _("Écart")),
        ],
        [
            [f"{r.departement} {r.departement_name}", r.profession_name, r.open_positions, r.available_slots, r.gap]
            for r in rows
        ],
    )


OVERVIEW_TABLES: dict[str, Callable[[Overview], Table]] = {
    "departements": departement_table,
    "professions": profession_table,
    "types": type_table,
    "tendance": trend_table,
}
EXPORTABLE = (*OVERVIEW_TABLES, "etablissements", "penuries")


# --- Files ------------------------------------------------------------------------------------
def _csv_value(value, kind: str) -> str:
    if value is None:
        return ""
    if kind == "pct":
        return f"{value * 100:.1f}".replace(".", ",")
    if kind in ("dec1", "dec2"):
        return f"{value:.{1 if kind == 'dec1' else 2}f}".replace(".", ",")
    if kind == "date":
        return value.isoformat()
    return str(value)


def to_csv(table: Table) -> bytes:
    """Semicolon-separated, decimal comma, UTF-8 with a BOM: what a French spreadsheet opens as is.
    Rates are written in percent (the header says so)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([f"{c.label} (%)" if c.kind == "pct" else str(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(v, c.kind) for v, c in zip(row, table.columns, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


NUMBER_FORMATS = {"pct": "0.0%", "dec1": "0.0", "dec2": "0.00", "date": "DD/MM/YYYY", "int": "0"}


def to_xlsx(table: Table, context: Sequence[tuple[str, str]]) -> bytes:
    """One sheet with the table (numbers as numbers, rates as percentages), one with the filters.

    Written in openpyxl's streaming mode: a national establishment list has ~10,000 rows. Only
    the cells that need a number format (rates, decimals, dates) are built as styled cells."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(table.slug[:31])
    sheet.freeze_panes = "A2"
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=str(column.label))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    formats = [NUMBER_FORMATS.get(c.kind) if c.kind in ("pct", "dec1", "dec2", "date") else None for c in table.columns]
    for row in table.rows:
        cells = []
        for value, fmt in zip(row, formats, strict=True):
            if fmt and value is not None:
                cell = WriteOnlyCell(sheet, value=value)
                cell.number_format = fmt
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    meta = book.create_sheet("filtres")
    meta.append([str(_("Tableau")), table.title])
    for key, value in context:
        meta.append([key, value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_filename(scope_code: str, table: Table, filters_slug: str, fmt: str) -> str:
    return f"ars-{scope_code}_{table.slug}_{filters_slug}.{fmt}"

