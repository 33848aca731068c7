"""CSV import of shifts: the whole file is checked first, nothing is written if any line is wrong.

The template is documented in ``docs/csv-import.md`` and downloadable from the import page.
Every line goes through ``services.shift_validate`` — the same rules as the posting form — so
an import can never publish what the form would refuse.

* Encoding: UTF-8 (with or without BOM); anything that is not valid UTF-8 is read as
  Windows-1252 (what Excel writes in France).
* Separator: ``;`` (French spreadsheets) or ``,`` — read from the header line.
* Line numbers are those a spreadsheet shows: the header is line 1.
* Empty columns at the end of the lines (Excel's trailing ``;;``) are ignored.
* Importing the same file (or line) twice creates each shift once: a line whose shift already exists
  — same establishment, unit, profession, start and end, not cancelled — is counted as already
  imported, not written again. That is the natural key of a posting: two different needs for the
  same slot are one shift with more positions (``postes``).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

import openpyxl
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from establishments.access import establishment_require
from establishments.models import Establishment, Shift, ShiftState, Unit
from establishments.services import (
    ReferenceCache,
    ShiftDraft,
    ShiftSpec,
    posting_day_check,
    save_drafts,
    shift_times,
    shift_validate,
)
from reference.models import Profession, Skill
from territories.models import Commune
from ville_hopital.access import ADMIN, CHANGE
from ville_hopital.audit import audit_record
from ville_hopital.input_hygiene import has_forbidden_character
from ville_hopital.spreadsheet_cells import csv_text_cell

MAX_LINES = 5000
#: An .xlsx workbook is a zip archive.
XLSX_MAGIC = b"PK\x03\x04"
MAX_BYTES = 2 * 1024 * 1024

#: column → (required, description) — the order of the downloadable template. The descriptions are
#: lazy: the import page (and anything else that shows them) reads them in the person's language.
COLUMNS: dict[str, tuple[bool, str | Promise]] = {
    "unite": (True, gettext_lazy("nom de l'unité, tel qu'il apparaît dans Ville-Hôpital (ex. Urgences)")),
    "profession": (
        True, gettext_lazy("code TRE_G15 (60) ou sigle (IDE, MED, SF, KINE, AS, MERM, PHARM, DENT, ISP)")
    ),
    "competences": (False, gettext_lazy("codes séparés par des espaces ou « | » (ex. SI06 ; SM59)")),
    "date": (True, gettext_lazy("JJ/MM/AAAA ou AAAA-MM-JJ : jour du début")),
    "debut": (True, gettext_lazy("HH:MM (heure de Paris)")),
    "fin": (True, gettext_lazy("HH:MM ; une fin avant le début finit le lendemain (nuit)")),
    "postes": (True, gettext_lazy("nombre de postes, de 1 à 50")),
    "urgence": (False, gettext_lazy("1 (faible) à 5 (critique), 3 par défaut")),
    "urgent": (False, gettext_lazy("oui / non (non par défaut ; toujours oui à moins de 48 h)")),
    "remuneration": (True, gettext_lazy("euros HT par poste, virgule ou point décimal (ex. 648,00)")),
    "lieu": (False, gettext_lazy("code INSEE de la commune de stationnement — unités mobiles seulement")),
}
REQUIRED = [name for name, (required, _d) in COLUMNS.items() if required]
TEMPLATE_EXAMPLE = [
    ["Urgences", "IDE", "", "15/01/2027", "20:00", "08:00", "2", "4", "non", "648,00", ""],
    ["Réanimation", "60", "SI07", "16/01/2027", "08:00", "20:00", "1", "3", "non", "876,00", ""],
]
# Which ShiftSpec (or shift_validate) field a column feeds, to name the column of an error.
FIELD_TO_COLUMN = {
    "unit": "unite", "profession": "profession", "required_skills": "competences", "starts_at": "date",
    "ends_at": "fin", "positions": "postes", "urgency": "urgence", "urgent": "urgent", "pay": "remuneration",
    "location": "lieu",
}
TRUE_WORDS = {"oui", "o", "yes", "y", "1", "vrai", "x"}
FALSE_WORDS = {"non", "n", "no", "0", "faux", ""}


@dataclass(frozen=True)
class LineError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        where = _("ligne %(line)s") % {"line": self.line}
        if self.column:
            where += _(", colonne « %(column)s »") % {"column": self.column}
        return f"{where} : {self.message}"


@dataclass
class ImportReport:
    lines: int = 0
    created: int = 0
    #: Lines whose shift already existed (a file imported twice), or repeated a line above.
    already_imported: int = 0
    errors: list[LineError] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    shift_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def template_csv(establishment: Establishment | None = None) -> str:
    """The downloadable template (UTF-8 with BOM so Excel shows the accents; ``;`` separated).

    For an establishment: one example line per unit (up to ``TEMPLATE_UNITS``), with the professions
    it posts, a day shift a week from now and the legal cap as pay — a file that imports as it is
    (the generic example named units the establishment may not have)."""
    rows = _template_rows(establishment) if establishment is not None else []
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([[csv_text_cell(cell) for cell in row] for row in rows] or TEMPLATE_EXAMPLE)
    return "\ufeff" + out.getvalue()


TEMPLATE_UNITS = 10
TEMPLATE_PAY_WITHOUT_CAP = Decimal("600.00")


def _template_rows(establishment: Establishment) -> list[list[str]]:
    # The same legal tables the import then checks against (routes and caps), through its memo.
    legal, etype = ReferenceCache(), establishment.type
    posted = (Profession.objects.filter(shift__establishment=establishment).distinct().order_by("code")
              or Profession.objects.filter(code="60"))
    professions = [p for p in posted if legal.route(profession=p, establishment_type=etype).is_allowed]
    units = list(establishment.units.order_by("name")[:TEMPLATE_UNITS])
    if not professions or not units:
        return []
    day = timezone.localdate() + timedelta(days=7)
    commune = establishment.commune
    rows = []
    for i, unit in enumerate(units):
        profession = professions[i % len(professions)]
        cap = legal.cap(profession=profession, skill_codes=[], establishment_type=etype, on=day,
                        hours=Decimal(12), overseas=commune.region.is_overseas)
        pay = min(cap.amount, TEMPLATE_PAY_WITHOUT_CAP) if cap else TEMPLATE_PAY_WITHOUT_CAP
        rows.append([unit.name, profession.short, "", f"{day:%d/%m/%Y}", "08:00", "20:00", "1", "3", "non",
                     f"{pay:.2f}".replace(".", ","), commune.code_insee if etype.is_mobile else ""])
    return rows


def decode(raw: bytes) -> tuple[str, str]:
    # A BOM promises UTF-8, but a spreadsheet may have saved Windows-1252 after one: the body decides.
    bom = raw.startswith(b"\xef\xbb\xbf")
    body = raw[3:] if bom else raw
    try:
        return body.decode("utf-8"), "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace"), "cp1252"


def _without_trailing_empties(values: list[str], keep: int) -> list[str]:
    """The values, less the empty cells at the end beyond the first ``keep`` (Excel's ``;;``)."""
    end = len(values)
    while end > keep and not values[end - 1].strip():
        end -= 1
    return values[:end]


Row = tuple[int, list[str]]  # (the line number a spreadsheet shows, the cells as text)


def _csv_rows(text: str, delimiter: str) -> Iterator[Row | LineError]:
    """The file's rows; a row the csv module cannot read (a cell over its size limit, a stray quote)
    becomes an error of its line instead of ending the import with a server error."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield LineError(reader.line_num, "", _("ligne illisible (%(reason)s)") % {"reason": error})
            return
        yield reader.line_num, values


def is_xlsx(raw: bytes) -> bool:
    return raw.startswith(XLSX_MAGIC)


def _xlsx_cell(value: object) -> str:
    """A cell as the CSV columns write it: Excel stores dates, times and numbers as such."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y}" if value.time() == time(0) else f"{value:%H:%M}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, time):
        return f"{value:%H:%M}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _xlsx_rows(raw: bytes) -> Iterator[Row | LineError]:
    """The first sheet's rows of a workbook saved by Excel or LibreOffice (values, not formulas)."""
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a damaged or foreign zip: all mean "unreadable"
        yield LineError(0, "", _("classeur .xlsx illisible (%(reason)s)") % {"reason": type(error).__name__})
        return
    try:
        for number, row in enumerate(book.worksheets[0].iter_rows(values_only=True), start=1):
            yield number, [_xlsx_cell(value) for value in row]
    finally:
        book.close()


def _delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    return ";" if header.count(";") >= header.count(",") else ","


def _normalise_header(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name.strip().lower())
    return "".join(c for c in plain if not unicodedata.combining(c)).replace(" ", "_")


def _parse_date(value: str) -> date:
    value = value.strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"):
        try:
            day = datetime.strptime(value, fmt).date()
        except ValueError:
            continue
        try:
            posting_day_check(day)
        except ValidationError as error:
            raise ValueError(error.messages[0]) from error
        return day
    raise ValueError(_("date « %(value)s » illisible : attendu JJ/MM/AAAA") % {"value": value})


def _parse_time(value: str) -> time:
    value = value.strip().lower().replace("h", ":")
    if value.endswith(":"):
        value += "00"
    try:
        return datetime.strptime(value, "%H:%M").time()
    except ValueError:
        raise ValueError(_("heure « %(value)s » illisible : attendu HH:MM") % {"value": value}) from None


def _parse_pay(value: str) -> Decimal:
    cleaned = value.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "")
    cleaned = cleaned.replace(",", ".")
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(_("montant « %(value)s » illisible (ex. 648,00)") % {"value": value}) from None
    if not amount.is_finite():
        raise ValueError(_("montant « %(value)s » illisible (ex. 648,00)") % {"value": value})
    return amount


def _parse_int(value: str, *, default: int | None = None) -> int:
    value = value.strip()
    if not value and default is not None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(_("nombre entier attendu, pas « %(value)s »") % {"value": value}) from None


def _parse_bool(value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(_("oui ou non attendu, pas « %(value)s »") % {"value": value})


class LineLookups:
    """Everything a line names, loaded once per import (constant queries, whatever the size)."""

    def __init__(self, establishment: Establishment) -> None:
        self.units = {u.name.strip().lower(): u for u in Unit.objects.filter(establishment=establishment)}
        for unit in self.units.values():
            unit.establishment = establishment
        professions = list(Profession.objects.all())
        self.professions = {p.code: p for p in professions} | {p.short.upper(): p for p in professions}
        self.skills = {s.code.upper(): s for s in Skill.objects.all()}
        self.communes: dict[str, Commune | None] = {}

    def commune(self, code: str) -> Commune | None:
        if code not in self.communes:
            self.communes[code] = Commune.objects.select_related("region").filter(code_insee=code).first()
        return self.communes[code]


def line_spec(
    *, row: dict[str, str], lookups: LineLookups, problems: list[tuple[str, str]]
) -> tuple[ShiftSpec, datetime, datetime] | None:
    """A line read into what it posts and when, the one place a CSV line becomes a ``ShiftSpec``;
    ``None`` (and each unreadable cell added to ``problems`` as (column, message)) if it cannot be."""

    def parse(column: str, parser, *args, **kwargs):
        try:
            return parser(row.get(column) or "", *args, **kwargs)
        except ValueError as error:
            problems.append((column, str(error)))
            return None

    unit = lookups.units.get((row.get("unite") or "").strip().lower())
    if unit is None:
        problems.append(
            ("unite", _("unité « %(value)s » inconnue dans cet établissement") % {"value": row.get("unite", "")})
        )
    profession_key = (row.get("profession") or "").strip().upper()
    profession = lookups.professions.get(profession_key)
    if profession is None:
        problems.append(("profession", _("profession « %(value)s » inconnue") % {"value": row.get("profession")}))
    skills = []
    for code in (row.get("competences") or "").replace("|", " ").replace(",", " ").split():
        skill = lookups.skills.get(code.upper())
        if skill is None:
            problems.append(("competences", _("compétence « %(value)s » inconnue") % {"value": code}))
        else:
            skills.append(skill)
    day = parse("date", _parse_date)
    start = parse("debut", _parse_time)
    end = parse("fin", _parse_time)
    positions = parse("postes", _parse_int)
    urgency = parse("urgence", _parse_int, default=3)
    urgent = parse("urgent", _parse_bool)
    pay = parse("remuneration", _parse_pay)
    location = None
    location_code = (row.get("lieu") or "").strip()
    if location_code:
        location = lookups.commune(location_code)
        if location is None:
            problems.append(("lieu", _("commune « %(value)s » inconnue (code INSEE)") % {"value": location_code}))
    if problems:
        return None
    spec = ShiftSpec(
        unit=unit, profession=profession, required_skills=skills, positions=positions, urgency=urgency,
        urgent=urgent, pay=pay, location=location,
    )
    return (spec, *shift_times(day, start, end))


def _line_draft(
    *, actor, row: dict[str, str], lookups: LineLookups, cache: ReferenceCache, now: datetime
) -> tuple[ShiftDraft | None, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    read = line_spec(row=row, lookups=lookups, problems=problems)
    if read is None:
        return None, problems
    spec, starts_at, ends_at = read
    try:
        draft = shift_validate(
            actor=actor, spec=spec, starts_at=starts_at, ends_at=ends_at, now=now, cache=cache,
            check_permission=False,
        )
    except ValidationError as error:  # name the column of each wrong field
        if not hasattr(error, "error_dict"):
            return None, [("", m) for m in error.messages]
        for name, messages in error.message_dict.items():
            column = FIELD_TO_COLUMN.get(name, "")
            problems.extend((column, m) for m in messages)
        return None, problems
    return draft, []


@transaction.atomic
def shifts_import_csv(*, actor, establishment: Establishment, file) -> ImportReport:
    """Import shifts from a CSV or XLSX file (see docs/csv-import.md): validate every line, then
    write all the shifts in one transaction — or nothing.

    Returns an ``ImportReport``: ``created`` shifts, or the line-by-line ``errors`` and nothing written.
    It lives here rather than in ``services``: this module builds on ``services.shift_validate``,
    so ``services`` never imports it back."""
    establishment_require(actor, establishment, CHANGE)
    report = ImportReport()
    raw = file.read(MAX_BYTES + 1)
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_BYTES:
        report.errors.append(LineError(0, "", _("Le fichier dépasse 2 Mo : découpez-le.")))
        return report
    if is_xlsx(raw):
        report.encoding = "xlsx"
        rows = _xlsx_rows(raw)
    else:
        text, report.encoding = decode(raw)
        report.delimiter = _delimiter(text)
        rows = _csv_rows(text, report.delimiter)
    first = next(rows, None)
    if first is None or (not isinstance(first, LineError) and not any(v.strip() for v in first[1])):
        report.errors.append(LineError(1, "", _("Le fichier est vide.")))
        return report
    if isinstance(first, LineError):
        report.errors.append(first)
        return report
    header = [_normalise_header(h) for h in _without_trailing_empties(first[1], keep=0)]
    report.errors.extend(_column_errors(1, header))
    if len(set(header)) != len(header):
        report.errors.append(LineError(1, "", _("une colonne apparaît deux fois")))
    if report.errors:
        return report
    return _import_lines(actor=actor, establishment=establishment, lines=_file_lines(rows, header, report),
                         report=report, empty_line=2)


def _column_errors(line: int, columns: list[str]) -> list[LineError]:
    """Unknown columns and missing required ones, each an error of ``line``."""
    errors = [
        LineError(line, name, _("colonne inconnue ; colonnes attendues : %(cols)s") % {"cols": ", ".join(COLUMNS)})
        for name in columns if name and name not in COLUMNS
    ]
    errors.extend(LineError(line, name, _("colonne obligatoire absente")) for name in REQUIRED if name not in columns)
    return errors


def _file_lines(rows: Iterator[Row | LineError], header: list[str], report: ImportReport) -> Iterator[Row]:
    """A file's lines after the header, as (line, column → text); what a file alone can get wrong
    (an unreadable line, too many lines, a count of values unlike the header's) in ``report``."""
    for row in rows:
        if isinstance(row, LineError):
            report.errors.append(row)
            return
        line, values = row
        if not any(v.strip() for v in values):
            continue
        values = _without_trailing_empties(values, keep=len(header))
        report.lines += 1
        if report.lines > MAX_LINES:
            report.errors.append(LineError(line, "", _("Au plus %(max)s lignes par fichier.") % {"max": MAX_LINES}))
            return
        if len(values) != len(header):
            report.errors.append(
                LineError(
                    line, "",
                    _("%(found)s valeurs pour %(expected)s colonnes (séparateur « %(sep)s »)")
                    % {"found": len(values), "expected": len(header), "sep": report.delimiter},
                )
            )
            continue
        yield line, dict(zip(header, values, strict=True))


@transaction.atomic
def shifts_import_rows(*, actor, establishment: Establishment, rows: Sequence[Mapping[str, str]]) -> ImportReport:
    """The import of a file, from rows already read (the API's JSON import): each row maps the
    file's columns (``COLUMNS``) to their text, and its errors are reported under its index (from 0).
    The same checks and the same all-or-nothing write as ``shifts_import_csv``."""
    establishment_require(actor, establishment, CHANGE)
    report = ImportReport(encoding="json")
    if len(rows) > MAX_LINES:
        report.errors.append(LineError(0, "", _("Au plus %(max)s lignes par fichier.") % {"max": MAX_LINES}))
        return report
    lines: list[Row] = []
    for index, row in enumerate(rows):
        cells = {_normalise_header(name): value for name, value in row.items()}
        problems = _column_errors(index, list(cells))
        report.errors.extend(problems)
        if not problems:
            lines.append((index, cells))
    report.lines = len(rows)
    return _import_lines(actor=actor, establishment=establishment, lines=iter(lines), report=report, empty_line=0)


def _import_lines(
    *, actor, establishment: Establishment, lines: Iterator[tuple[int, dict[str, str]]], report: ImportReport,
    empty_line: int,
) -> ImportReport:
    """Every line checked (``shift_validate``, as the posting form), then all written, or nothing."""
    if not establishment.can_post:
        report.errors.append(
            LineError(0, "", _("L'établissement doit être vérifié par l'équipe Ville-Hôpital avant de publier."))
        )
        return report
    now = timezone.now()
    lookups = LineLookups(establishment)
    cache = ReferenceCache()
    drafts: list[tuple[int, ShiftDraft]] = []
    for line, row in lines:
        bad = [column for column, value in row.items() if has_forbidden_character(value)]
        if bad:
            report.errors.extend(
                LineError(line, column, _("caractère invisible non autorisé (caractère de contrôle)")) for column in bad
            )
            continue
        draft, problems = _line_draft(actor=actor, row=row, lookups=lookups, cache=cache, now=now)
        if problems:
            report.errors.extend(LineError(line, column, message) for column, message in problems)
        else:
            drafts.append((line, draft))
    if report.lines == 0 and not report.errors:
        report.errors.append(LineError(empty_line, "", _("Aucune vacation dans le fichier.")))
    if report.errors:
        return report
    with transaction.atomic():
        # Under the establishment's row lock: two imports of one file at once still create each shift once.
        Establishment.objects.select_for_update().get(pk=establishment.pk)
        new = _not_yet_imported(establishment, drafts)
        report.already_imported = len(drafts) - len(new)
        shifts: list[Shift] = save_drafts(new)
        report.created = len(shifts)
        report.shift_ids = [s.pk for s in shifts]
        audit_record(
            actor=actor, action="shift.import_csv", target=establishment,
            data={"shifts": report.shift_ids, "already_imported": report.already_imported,
                  "encoding": report.encoding, "delimiter": report.delimiter},
        )
    return report


class RowsRefused(ValidationError):
    """Some rows of a bulk posting are refused: ``rows`` maps each wrong row's index (from 0) to its
    fields and their messages, as ``shift_validate`` names them (``NON_FIELD_ERRORS`` for the row)."""

    def __init__(self, rows: dict[int, dict[str, list[str]]]) -> None:
        self.rows = rows
        super().__init__([
            f"{index} — {name} : {message}"
            for index, fields in rows.items() for name, messages in fields.items() for message in messages
        ])


#: A bulk posting holds at most this many shifts (the API refuses more before reading them).
MAX_BULK_SHIFTS = 1000


@transaction.atomic
def shifts_post_bulk(*, actor, lines: Sequence[tuple[ShiftSpec, datetime, datetime]]) -> list[Shift]:
    """Post many shifts at once, all or nothing: each (spec, start, end) checked by ``shift_validate``
    (as the posting form and the import: one clock, the legal tables read once per distinct
    question), then all written in bulk under their establishments' row locks, one audit row per
    establishment. A wrong row raises ``RowsRefused`` naming it; nothing is written."""
    establishments = {spec.unit.establishment.pk: spec.unit.establishment for spec, _start, _end in lines}
    for establishment in establishments.values():
        establishment_require(actor, establishment, CHANGE)
    # Sharing with the legal entity is an admin's decision (as ``shift_post``): asked once per establishment.
    for pk in {spec.unit.establishment.pk for spec, _start, _end in lines if spec.shared_with_legal_entity}:
        establishment_require(actor, establishments[pk], ADMIN)
    if len(lines) > MAX_BULK_SHIFTS:
        raise ValidationError({"shifts": _("Au plus %(max)s vacations par envoi.") % {"max": MAX_BULK_SHIFTS}})
    now, cache = timezone.now(), ReferenceCache()
    drafts: list[ShiftDraft] = []
    refused: dict[int, dict[str, list[str]]] = {}
    for index, (spec, starts_at, ends_at) in enumerate(lines):
        try:
            drafts.append(shift_validate(actor=actor, spec=spec, starts_at=starts_at, ends_at=ends_at, now=now,
                                         cache=cache, check_permission=False))
        except ValidationError as error:
            refused[index] = error.message_dict if hasattr(error, "error_dict") else {NON_FIELD_ERRORS: error.messages}
    if refused:
        raise RowsRefused(refused)
    list(Establishment.objects.select_for_update().filter(pk__in=sorted(establishments)).order_by("pk"))
    shifts = save_drafts(drafts)
    for pk, establishment in establishments.items():
        audit_record(actor=actor, action="shift.post_bulk", target=establishment,
                     data={"shifts": [s.pk for s in shifts if s.establishment_id == pk]})
    return shifts


def _natural_key(shift: Shift) -> tuple[int, int, datetime, datetime]:
    return shift.unit_id, shift.profession_id, shift.starts_at, shift.ends_at


def _not_yet_imported(establishment: Establishment, drafts: list[tuple[int, ShiftDraft]]) -> list[ShiftDraft]:
    """The drafts whose natural key (unit, profession, start, end) no live shift of the establishment
    has, nor a line above them in the file."""
    if not drafts:
        return []
    starts = [draft.shift.starts_at for _line, draft in drafts]
    existing = Shift.objects.filter(
        establishment=establishment, starts_at__gte=min(starts), starts_at__lte=max(starts)
    ).exclude(state=ShiftState.CANCELLED).only("unit_id", "profession_id", "starts_at", "ends_at")
    seen = {_natural_key(shift) for shift in existing}
    new = []
    for _line, draft in drafts:
        key = _natural_key(draft.shift)
        if key not in seen:
            seen.add(key)
            new.append(draft)
    return new
