"""Importing a national directory extraction (RPPS, FINESS) from a file on disk: one reader, one upsert.

Each directory describes its file with a :class:`DirectoryFormat` (``directories.rpps``,
``directories.finess``); the rules below are shared, so that both imports behave the same:

* **All or nothing.** The file is written in one transaction; any bad line (wrong number of fields,
  a number that is not valid, bytes that are not of the file's encoding, a truncated last line)
  rolls everything back and :class:`DirectoryFileError` lists the first ``MAX_ERRORS`` of them with
  their line numbers. The directory is the old one or the new one, never half of each.
* **Upsert, only what changed.** Each batch is compared with the stored rows: new keys are
  inserted, changed rows rewritten, identical rows left alone. A second import of the same file
  writes nothing and reports 0 new, 0 changed.
* **The file is the whole directory.** Rows whose key is no longer in the file are deleted: a
  professional struck off the RPPS, a closed site, must stop being "verified".
* The lines are counted first (the progress bar's total); the encoding is settled on the way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from tqdm import tqdm

from ville_hopital.audit import audit_record

BATCH_SIZE = 2000
MAX_ERRORS = 20
# What no text field of a directory holds: C0 controls but the tab, and C1 controls, which is
# what a Windows-1252 or UTF-8 file read as Latin-1 shows (and U+FFFD, a decoder's replacement).
_CONTROL = {chr(c) for c in range(32) if c != 9} | {chr(c) for c in range(0x7F, 0xA0)} | {"\ufffd"}


class LineInvalid(ValueError):
    """A line of the file cannot be imported; the message says why (in French, shown as is; its counts
    through ngettext, « 1 champ au lieu de 32 »)."""


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"ligne {self.line} : {self.message}"


class DirectoryFileError(Exception):
    """The file was refused: nothing was imported. ``errors`` name the lines."""

    def __init__(self, path: Path, errors: list[LineError]) -> None:
        self.errors = errors
        lines = "\n".join(f"  {error}" for error in errors)
        super().__init__(f"{path.name} refusé, rien n'a été importé :\n{lines}")


#: Reads the header's fields and returns the parser of the following lines: fields in, a model
#: instance out (``None``: a line this directory does not keep). Both raise :class:`LineInvalid`.
LineParser = Callable[[list[str]], models.Model | None]


@dataclass(frozen=True)
class DirectoryFormat:
    name: str  # "RPPS", "FINESS": the audit action and the messages
    model: type[models.Model]
    key_fields: tuple[str, ...]
    value_fields: tuple[str, ...]
    separator: str
    encodings: tuple[str, ...]  # tried in order on the whole file; the last one must fit
    start: Callable[[list[str]], LineParser]


@dataclass(frozen=True)
class FileScan:
    encoding: str
    lines: int  # header included


@dataclass(frozen=True)
class ImportCounts:
    lines: int  # data lines read (the header excluded)
    new: int
    changed: int
    unchanged: int
    removed: int
    skipped: int  # lines this directory does not keep, or repeating a key already read

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def directory_scan(path: Path, fmt: DirectoryFormat) -> FileScan:
    """Count the lines and choose the encoding: the first of ``fmt.encodings`` that decodes every
    line. Raises :class:`DirectoryFileError` for a file that is not text in any of them."""
    candidates = list(fmt.encodings)
    count = 0
    try:
        handle = path.open("rb")
    except OSError as error:
        raise DirectoryFileError(path, [LineError(0, f"fichier illisible ({error.strerror})")]) from None
    with handle:
        for count, raw in enumerate(handle, start=1):
            if b"\x00" in raw:  # UTF-16 or a binary file: every other byte is a NUL
                raise DirectoryFileError(path, [LineError(count, _encoding_message(fmt))])
            while True:
                try:
                    raw.decode(candidates[0])
                    break
                except UnicodeDecodeError:
                    if len(candidates) == 1:
                        raise DirectoryFileError(path, [LineError(count, _encoding_message(fmt))]) from None
                    candidates.pop(0)
    if count == 0:
        raise DirectoryFileError(path, [LineError(1, "fichier vide : la ligne d'en-tête manque")])
    return FileScan(encoding=candidates[0], lines=count)


def _encoding_message(fmt: DirectoryFormat) -> str:
    return f"le fichier n'est pas encodé en {' ou '.join(e.upper() for e in fmt.encodings)} (mauvais encodage ?)"


def directory_import(
    *, path: Path, fmt: DirectoryFormat, scan: FileScan | None = None, progress: Callable[[int], None] | None = None
) -> ImportCounts:
    """Import ``path`` into ``fmt.model`` (see the module's rules); an audit row records the counts."""
    scan = scan or directory_scan(path, fmt)
    with transaction.atomic():
        counts = _Load(path, fmt, progress).run(scan)
        audit_record(
            actor=None, action=f"directory.{fmt.name.lower()}_import",
            target=ContentType.objects.get_for_model(fmt.model), data={"file": path.name, **counts.as_dict()},
        )
    return counts


class _Load:
    def __init__(self, path: Path, fmt: DirectoryFormat, progress: Callable[[int], None] | None) -> None:
        self.path, self.fmt, self.progress = path, fmt, progress
        self.errors: list[LineError] = []
        self.seen: set[tuple] = set()
        self.batch: dict[tuple, models.Model] = {}
        self.new = self.changed = self.unchanged = self.skipped = 0
        self.pending_progress = 0

    def run(self, scan: FileScan) -> ImportCounts:
        existing = set(self.fmt.model.objects.values_list(*self.fmt.key_fields))
        # Lines end at "\n" only (as counted by the scan); a stray "\r" inside a line is refused.
        with self.path.open(encoding=scan.encoding, newline="\n") as handle:
            self._read(handle)
        if self.errors:
            raise DirectoryFileError(self.path, self.errors)  # inside the transaction: all rolled back
        self._flush()
        gone = sorted(existing - self.seen)
        for start in range(0, len(gone), BATCH_SIZE):
            self.fmt.model.objects.filter(self._keys_q(gone[start:start + BATCH_SIZE])).delete()
        return ImportCounts(
            lines=scan.lines - 1, new=self.new, changed=self.changed, unchanged=self.unchanged, removed=len(gone),
            skipped=self.skipped,
        )

    def _read(self, handle: Iterable[str]) -> None:
        """Parse every line; after the first error, only validate (nothing more is written), up to
        ``MAX_ERRORS``. A truncated file shows as a last line with too few fields."""
        parser: LineParser | None = None
        for number, text in enumerate(handle, start=1):
            if len(self.errors) >= MAX_ERRORS:
                break
            self.pending_progress += 1
            line = text.removesuffix("\n").removesuffix("\r")
            if number == 1:
                line = line.removeprefix("\ufeff")
            if _CONTROL.intersection(line):
                self._error(number, "caractères de contrôle ou illisibles : mauvais encodage ?")
                continue
            fields = line.split(self.fmt.separator)
            try:
                if parser is None:
                    parser = self.fmt.start(fields)
                    continue
                row = parser(fields)
            except LineInvalid as error:
                self._error(number, str(error))
                if parser is None:
                    break  # without a header, no line can be read
                continue
            if self.errors or row is None:
                self.skipped += row is None
                continue
            key = tuple(getattr(row, name) for name in self.fmt.key_fields)
            if key in self.seen:  # one person has one line per activity: the first one is kept
                self.skipped += 1
                continue
            self.seen.add(key)
            self.batch[key] = row
            if len(self.batch) >= BATCH_SIZE:
                self._flush()

    def _error(self, number: int, message: str) -> None:
        self.errors.append(LineError(number, message))

    def _keys_q(self, keys: list[tuple]) -> models.Q:
        query = models.Q(pk__in=[])
        for key in keys:
            query |= models.Q(**dict(zip(self.fmt.key_fields, key, strict=True)))
        return query

    def _values(self, row: models.Model) -> tuple[Any, ...]:
        return tuple(getattr(row, name) for name in self.fmt.value_fields)

    def _flush(self) -> None:
        if self.batch:
            first = self.fmt.key_fields[0]
            stored = {
                values[: len(self.fmt.key_fields)]: values[len(self.fmt.key_fields):]
                for values in self.fmt.model.objects.filter(
                    **{f"{first}__in": {key[0] for key in self.batch}}
                ).values_list(*self.fmt.key_fields, *self.fmt.value_fields)
            }
            write = []
            for key, row in self.batch.items():
                if key not in stored:
                    self.new += 1
                elif stored[key] != self._values(row):
                    self.changed += 1
                else:
                    self.unchanged += 1
                    continue
                write.append(row)
            if write:
                self.fmt.model.objects.bulk_create(
                    write, update_conflicts=True, unique_fields=list(self.fmt.key_fields),
                    update_fields=list(self.fmt.value_fields),
                )
            self.batch = {}
        if self.progress:
            self.progress(self.pending_progress)
        self.pending_progress = 0


def check_field_count(fields: list[str], expected: int, what: str) -> None:
    """Refuse a line that has not the number of fields of its kind (a truncated or shifted line)."""
    if len(fields) != expected:
        raise LineInvalid(ngettext(
            "%(n)s champ au lieu de %(expected)s pour %(what)s (ligne tronquée ou décalée ?)",
            "%(n)s champs au lieu de %(expected)s pour %(what)s (ligne tronquée ou décalée ?)",
            len(fields),
        ) % {"n": len(fields), "expected": expected, "what": what})


def check_length(value: str, model: type[models.Model], field: str) -> str:
    """``value`` stripped, refused when longer than the column (bulk writes skip ``full_clean``)."""
    value = value.strip()
    limit = model._meta.get_field(field).max_length
    if limit is not None and len(value) > limit:
        raise LineInvalid(ngettext("« %(value)s… » dépasse %(n)s caractère", "« %(value)s… » dépasse %(n)s caractères", limit)
                          % {"value": value[:40], "n": limit})
    return value


class DirectoryImportCommand(BaseCommand):
    """``manage.py import_x <path>``: the progress bar, the counts, a refused file as a CommandError."""

    fmt: DirectoryFormat

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="the extraction file, as downloaded (no network at run time)")

    def handle(self, *args, **options) -> None:
        path: Path = options["path"]
        try:
            scan = directory_scan(path, self.fmt)
            with tqdm(
                total=scan.lines, unit="ligne", desc=self.fmt.name, disable=options["verbosity"] == 0
            ) as bar:
                counts = directory_import(path=path, fmt=self.fmt, scan=scan, progress=bar.update)
        except DirectoryFileError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(self.style.SUCCESS(import_summary(self.fmt.name, counts)))


def import_summary(directory: str, counts: ImportCounts) -> str:
    """« RPPS : 51 lignes lues, 47 nouvelles entrées, 0 modifiée, … » in the active language, each
    count with its own plural (French: 0 and 1 are singular)."""
    parts = (
        ngettext("%(n)s ligne lue", "%(n)s lignes lues", counts.lines) % {"n": counts.lines},
        ngettext("%(n)s nouvelle entrée", "%(n)s nouvelles entrées", counts.new) % {"n": counts.new},
        ngettext("%(n)s modifiée", "%(n)s modifiées", counts.changed) % {"n": counts.changed},
        ngettext("%(n)s inchangée", "%(n)s inchangées", counts.unchanged) % {"n": counts.unchanged},
        ngettext("%(n)s retirée", "%(n)s retirées", counts.removed) % {"n": counts.removed},
        ngettext("%(n)s ligne ignorée", "%(n)s lignes ignorées", counts.skipped) % {"n": counts.skipped},
    )
    return _("%(directory)s : %(counts)s.") % {"directory": directory, "counts": ", ".join(parts)}
