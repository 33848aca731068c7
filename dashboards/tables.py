"""Every dashboard table as plain data (columns + rows): the page renders it, CSV and XLSX export it,
so a figure on screen and in a file cannot disagree."""

from __future__ import annotations

import csv
import io
import math
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape as xml_escape

from django.utils.formats import date_format, get_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy as _

from dashboards.figures import Figures
from dashboards.selectors import EstablishmentRow, Overview, ShortageRow
from ville_hopital.spreadsheet_cells import csv_text_cell


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
    items = [([f"{r.code} {r.name}".strip()], r.figures) for r in o.departement_rows()]
    return _figures_table("departements", _("Par département"), [Column("label", _("Département"), "text")], items)


def profession_table(o: Overview) -> Table:
    items = [([r.name], r.figures) for r in o.profession_rows()]
    return _figures_table("professions", _("Par profession"), [Column("label", _("Profession"), "text")], items)


def type_table(o: Overview) -> Table:
    items = [([r.name], r.figures) for r in o.type_rows()]
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
        [[w.start, w.posted, w.filled, w.fill_rate] for w in o.week_rows()],
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
    if isinstance(value, str):  # names typed by people (establishments, units): never a formula
        return csv_text_cell(value)
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
    writer.writerow([csv_text_cell(f"{c.label} (%)" if c.kind == "pct" else str(c.label)) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(v, c.kind) for v, c in zip(row, table.columns, strict=True)])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# Custom number formats of the workbook (ids from 164, the first free one) and the cell styles
# (index in cellXfs): 0 plain, 1 bold header, then one per format.
NUMBER_FORMATS = {"pct": "0.0%", "dec1": "0.0", "dec2": "0.00", "date": "DD/MM/YYYY"}
STYLE_OF_KIND = {kind: 2 + i for i, kind in enumerate(NUMBER_FORMATS)}
EXCEL_EPOCH = date(1899, 12, 30)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_text(value: str) -> str:
    return xml_escape(_CONTROL.sub("", value), {'"': "&quot;"})


def _sheet_xml(rows: Iterable[Sequence], styles: Sequence[int], *, header: bool, freeze: bool) -> str:
    """A worksheet in SpreadsheetML, strings inline (no shared-string table to build). Cells carry
    no reference: each row is written whole, an empty cell as ``<c/>``, so position is implicit."""
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">']
    if freeze:
        out.append('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
                   ' state="frozen"/></sheetView></sheetViews>')
    out.append("<sheetData>")
    number_open = [f'<c s="{style}"><v>' if style else "<c><v>" for style in styles]
    text_open = [f'<c s="{style}" t="inlineStr"><is><t xml:space="preserve">' if style else
                 '<c t="inlineStr"><is><t xml:space="preserve">' for style in styles]
    bold = '<c s="1" t="inlineStr"><is><t xml:space="preserve">'
    for r, row in enumerate(rows):
        cells = []
        append = cells.append
        for c, value in enumerate(row):
            if value is None:
                append("<c/>")
            elif value.__class__ is int or value.__class__ is Decimal:
                append(f"{number_open[c]}{value}</v></c>")
            elif value.__class__ is float:
                append(f"{number_open[c]}{value!r}</v></c>" if math.isfinite(value) else "<c/>")
            elif isinstance(value, date):
                append(f"{number_open[c]}{(value - EXCEL_EPOCH).days}</v></c>")
            else:
                opening = bold if header and r == 0 else text_open[c]
                append(f"{opening}{_xml_text(str(value))}</t></is></c>")
        out.append(f"<row>{''.join(cells)}</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out)


def _styles_xml() -> str:
    formats = "".join(
        f'<numFmt numFmtId="{164 + i}" formatCode="{_xml_text(code)}"/>' for i, code in enumerate(NUMBER_FORMATS.values())
    )
    xfs = "".join(
        f'<xf numFmtId="{164 + i}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        for i in range(len(NUMBER_FORMATS))
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<numFmts count="{len(NUMBER_FORMATS)}">{formats}</numFmts>'
        '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        f'<cellXfs count="{2 + len(NUMBER_FORMATS)}"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        f'<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>{xfs}</cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    )


def to_xlsx(table: Table, context: Sequence[tuple[str, str]]) -> bytes:
    """One sheet with the table (numbers as numbers, rates as percentages, header frozen), one with
    the filters. The SpreadsheetML is written directly, as text, into the zip: a national list of
    establishments (~10,000 rows × 18 columns) takes ~0.1 s this way, ~1.4 s through openpyxl."""
    names = [table.slug[:31], "filtres"]
    styles = [STYLE_OF_KIND.get(c.kind, 0) for c in table.columns]
    main = _sheet_xml([[str(c.label) for c in table.columns], *table.rows], styles, header=True, freeze=True)
    meta = _sheet_xml([[str(_("Tableau")), table.title], *([k, v] for k, v in context)], [0, 0], header=False, freeze=False)
    sheets = "".join(
        f'<sheet name="{_xml_text(name)}" sheetId="{i}" r:id="rId{i}"/>' for i, name in enumerate(names, start=1)
    )
    rels = "".join(
        f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"'
        f' Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(names) + 1)
    )
    parts = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                for i in range(1, len(names) + 1)
            )
            + "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"'
            ' Target="xl/workbook.xml"/></Relationships>'
        ),
        "xl/workbook.xml": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
            ' xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f"<sheets>{sheets}</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'{rels}<Relationship Id="rId{len(names) + 1}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": _styles_xml(),
        "xl/worksheets/sheet1.xml": main,
        "xl/worksheets/sheet2.xml": meta,
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name, text in parts.items():
            archive.writestr(name, text.encode("utf-8"))
    return out.getvalue()


def export_filename(scope_code: str, table: Table, filters_slug: str, fmt: str) -> str:
    return f"ars-{scope_code}_{table.slug}_{filters_slug}.{fmt}"

