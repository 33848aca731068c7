"""Matching instances as plain NumPy arrays, and their folder format (docs/matching.md, FORMAT.md).

An :class:`Instance` is what the engine consumes: no ORM object, no dict per row, only typed
arrays indexed by position. Ids from the files are kept in ``*.ids`` arrays; every cross
reference (availability → pro, shift → establishment, booked → pro) is stored as an *index*
so the solver never has to look ids up again.

Already-booked missions (extension of FORMAT.md, optional file ``booked.csv``): the platform
passes the missions a professional already holds so that the rules count them:

* ``Instance.booked`` — one row per booked (pro index, day, slot). A booked slot is taken (no
  second shift there) and it counts in the rest rules and in the 7-day hours budget. Days may
  lie up to 7 days outside the horizon (``1 - 7 .. horizon + 7``) because a night booked the
  day before day 1 still forbids the day shift of day 1.
* ``Pros.used_missions`` — missions already used this month, subtracted from ``max_missions``.
  Read from the optional ``pros.csv`` column ``used_missions``; when that column is absent it
  defaults to the number of ``booked.csv`` rows of the professional.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

import numpy as np

from territories.geo import haversine_km

SLOT_CODES = ("D", "N")
HOURS_PER_SLOT = 12
BOOKED_MARGIN_DAYS = 7
URGENCY_MIN, URGENCY_MAX = 1, 5

PROS_FILE = "pros.csv"
AVAILABILITY_FILE = "availability.csv"
ESTABLISHMENTS_FILE = "establishments.csv"
SHIFTS_FILE = "shifts.csv"
BOOKED_FILE = "booked.csv"
META_FILE = "meta.json"
ASSIGNMENT_FILE = "assignment.csv"

PROS_COLUMNS = ("pro_id", "profession", "skills", "lat", "lon", "commune_insee", "radius_km", "max_missions")
AVAILABILITY_COLUMNS = ("pro_id", "day", "slot")
ESTABLISHMENTS_COLUMNS = ("estab_id", "kind", "commune_insee", "departement", "lat", "lon")
SHIFTS_COLUMNS = (
    "shift_id",
    "estab_id",
    "profession",
    "required_skills",
    "day",
    "slot",
    "positions",
    "urgency",
    "posted_seq",
)
BOOKED_COLUMNS = ("pro_id", "day", "slot")
ASSIGNMENT_COLUMNS = ("shift_id", "position", "pro_id")


class InstanceError(ValueError):
    """A malformed instance or assignment file; says which file, line and column."""

    def __init__(self, file: str, message: str, line: int | None = None, column: str | None = None):
        self.file, self.line, self.column, self.message = file, line, column, message
        where = file
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        super().__init__(f"{where}: {message}")


# --------------------------------------------------------------------------------------------
# Data classes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """Optional working-time rules of ``meta.json:rules`` (the base rules always hold)."""

    rest_night_then_day: bool = True
    rest_after_24h: bool = False
    max_hours_per_7_days: float | None = None

    @property
    def max_slots_per_7_days(self) -> int | None:
        """The hours budget as a number of 12-hour slots (what the constraints count)."""
        if self.max_hours_per_7_days is None:
            return None
        return math.floor(self.max_hours_per_7_days / HOURS_PER_SLOT + 1e-9)

    @property
    def needs_repair(self) -> bool:
        """True when a rule outside the flow model is on (the flow is then only a relaxation)."""
        return self.rest_after_24h or self.max_hours_per_7_days is not None


@dataclass(frozen=True)
class Meta:
    start_date: str
    horizon_days: int
    big: float
    rules: Rules
    extra: dict = field(default_factory=dict)  # other meta.json keys, written back unchanged


@dataclass(frozen=True)
class Pros:
    ids: np.ndarray  # int64
    profession: np.ndarray  # int16 index into Instance.professions
    skills: np.ndarray  # uint64 (n, words) bitmask over Instance.skills
    lat: np.ndarray  # float64 degrees
    lon: np.ndarray
    commune: np.ndarray  # str
    radius_km: np.ndarray  # float64
    max_missions: np.ndarray  # int32
    used_missions: np.ndarray  # int32, missions already booked this month

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def remaining_missions(self) -> np.ndarray:
        return np.maximum(self.max_missions - self.used_missions, 0).astype(np.int32)


@dataclass(frozen=True)
class Slots:
    """Rows of (professional index, day, slot); used for availability and booked missions."""

    pro: np.ndarray  # int32
    day: np.ndarray  # int16
    slot: np.ndarray  # int8, 0 = D, 1 = N

    def __len__(self) -> int:
        return len(self.pro)

    @classmethod
    def empty(cls) -> Slots:
        return cls(np.zeros(0, np.int32), np.zeros(0, np.int16), np.zeros(0, np.int8))


@dataclass(frozen=True)
class Establishments:
    ids: np.ndarray  # int64
    kind: np.ndarray  # str
    commune: np.ndarray  # str
    departement: np.ndarray  # str
    lat: np.ndarray
    lon: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Shifts:
    ids: np.ndarray  # int64
    estab: np.ndarray  # int32 index into Instance.establishments
    profession: np.ndarray  # int16
    required: np.ndarray  # uint64 (n, words)
    day: np.ndarray  # int16
    slot: np.ndarray  # int8
    positions: np.ndarray  # int32
    urgency: np.ndarray  # int8
    posted_seq: np.ndarray  # int64

    def __len__(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class Instance:
    pros: Pros
    availability: Slots
    establishments: Establishments
    shifts: Shifts
    meta: Meta
    professions: tuple[str, ...]
    skills: tuple[str, ...]
    booked: Slots = field(default_factory=Slots.empty)

    @property
    def rules(self) -> Rules:
        return self.meta.rules

    @property
    def horizon(self) -> int:
        return self.meta.horizon_days

    def with_rules(self, rules: Rules) -> Instance:
        """The same instance under other rules (tests compare rule sets on one instance)."""
        return replace(self, meta=replace(self.meta, rules=rules))


@dataclass(frozen=True)
class Assignment:
    """One row per filled position; indices refer to the instance the assignment was made for."""

    shift: np.ndarray  # int32 shift index
    position: np.ndarray  # int32, 1..positions
    pro: np.ndarray  # int32 pro index
    km: np.ndarray  # float64 haversine distance

    def __len__(self) -> int:
        return len(self.shift)

    @classmethod
    def empty(cls) -> Assignment:
        return cls(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))


# --------------------------------------------------------------------------------------------
# Skill vocabulary: bitmasks in uint64 words so subset tests are vectorised AND/NOT
# --------------------------------------------------------------------------------------------


def split_tokens(text: str) -> list[str]:
    return [t.strip() for t in text.split("|") if t.strip()]


def encode_skills(rows: Sequence[list[str]], vocabulary: dict[str, int], words: int) -> np.ndarray:
    masks = np.zeros((len(rows), words), dtype=np.uint64)
    for i, tokens in enumerate(rows):
        for token in tokens:
            bit = vocabulary[token]
            masks[i, bit // 64] |= np.uint64(1) << np.uint64(bit % 64)
    return masks


def _token_rows(texts: Sequence[str]) -> tuple[list[list[str]], np.ndarray]:
    """The distinct texts (in order of first appearance, so the vocabulary is numbered as if
    every row were read) split into tokens, and each row's index among them: a region's 50,000
    professionals have a few hundred distinct skill lists."""
    distinct: dict[str, int] = {}
    rows = np.fromiter((distinct.setdefault(text, len(distinct)) for text in texts), np.int64, len(texts))
    return [split_tokens(text) for text in distinct], rows


def _encode_rows(token_rows: tuple[list[list[str]], np.ndarray], vocabulary: dict[str, int], words: int) -> np.ndarray:
    distinct, rows = token_rows
    return encode_skills(distinct, vocabulary, words)[rows]


def decode_skills(mask_row: np.ndarray, skills: Sequence[str]) -> str:
    return "|".join(s for b, s in enumerate(skills) if int(mask_row[b // 64]) >> (b % 64) & 1)


# --------------------------------------------------------------------------------------------
# CSV reading with file/line/column errors
# --------------------------------------------------------------------------------------------


@dataclass
class _Table:
    """A CSV file as columns of strings, remembering each row's physical line number."""

    file: str
    columns: dict[str, list[str]]
    lines: np.ndarray

    def __len__(self) -> int:
        return len(self.lines)

    def fail(self, row: int, column: str, message: str) -> InstanceError:
        return InstanceError(self.file, message, int(self.lines[row]), column)


def _read_table(folder: Path, name: str, required: Sequence[str], optional: Sequence[str] = ()) -> _Table:
    path = folder / name
    if not path.is_file():
        raise InstanceError(name, "file not found", None, None)
    text = path.read_text(encoding="utf-8-sig")  # -sig: tolerate an Excel BOM
    plain = _read_plain(name, text, required, optional)
    if plain is not None:
        return plain
    with path.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            raise InstanceError(name, "empty file, a header row is expected", 1, None)
        header = [h.strip() for h in header]
        for col in required:
            if col not in header:
                raise InstanceError(name, "missing column", 1, col)
        wanted = [c for c in (*required, *optional) if c in header]
        index = [header.index(c) for c in wanted]
        columns: dict[str, list[str]] = {c: [] for c in wanted}
        lines: list[int] = []
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != len(header):
                raise InstanceError(name, f"expected {len(header)} fields, found {len(row)}", reader.line_num)
            lines.append(reader.line_num)
            for c, i in zip(wanted, index, strict=True):
                columns[c].append(row[i].strip())
    return _Table(name, columns, np.asarray(lines, dtype=np.int64))


_NOT_PLAIN = ('"', " ", "\t", "\r", "\n\n")


def _read_plain(name: str, text: str, required: Sequence[str], optional: Sequence[str]) -> _Table | None:
    """The common case read at C speed: no quoting, no blank, no space, no carriage return.

    Such a file is exactly "fields joined by commas, rows by newlines", so one ``str.split``
    gives what ``csv.reader`` plus ``strip`` would, about five times faster on the 200,000
    availability rows of a region. Anything else (or a row with the wrong number of fields, or a
    missing column) returns None and the ``csv`` reader takes over, with its file/line/column
    errors.
    """
    if any(mark in text for mark in _NOT_PLAIN):
        return None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return None
    header = lines[0].split(",")
    if any(col not in header for col in required):
        return None
    width = len(header)
    body = lines[1:]
    if any(line.count(",") != width - 1 for line in body):
        return None
    fields = ",".join(body).split(",") if body else []
    wanted = [c for c in (*required, *optional) if c in header]
    columns = {c: fields[header.index(c)::width] for c in wanted}
    return _Table(name, columns, np.arange(2, len(body) + 2, dtype=np.int64))


def _parse_column(table: _Table, col: str, kind: type, check: Callable[[np.ndarray], np.ndarray] | None,
                  rule: str) -> np.ndarray:
    """Vectorised parse; on failure, rescan row by row to name the first bad line."""
    raw = table.columns[col]
    dtype = np.int64 if kind is int else np.float64
    try:
        values = np.array(raw, dtype=dtype) if raw else np.zeros(0, dtype)
        ok = np.ones(len(values), bool) if kind is int else np.isfinite(values)
    except (ValueError, OverflowError):
        values, ok = None, None
    if values is None or not ok.all():
        for row, text in enumerate(raw):
            try:
                v = int(text) if kind is int else float(text)
            except ValueError:
                raise table.fail(row, col, f"{'integer' if kind is int else 'number'} expected, got {text!r}") from None
            if kind is float and not math.isfinite(v):
                raise table.fail(row, col, f"finite number expected, got {text!r}")
            if kind is int and not -(2**63) <= v < 2**63:
                raise table.fail(row, col, f"integer out of range, got {text!r}")
    if check is not None:
        bad = np.flatnonzero(~check(values))
        if len(bad):
            raise table.fail(int(bad[0]), col, f"{rule}, got {raw[bad[0]]!r}")
    return values


def _parse_slots(table: _Table, col: str = "slot") -> np.ndarray:
    raw = np.asarray(table.columns[col], dtype=object)
    is_d, is_n = raw == "D", raw == "N"
    bad = np.flatnonzero(~(is_d | is_n))
    if len(bad):
        raise table.fail(int(bad[0]), col, f"slot must be D or N, got {raw[bad[0]]!r}")
    return is_n.astype(np.int8)


def _parse_text(table: _Table, col: str, allow_empty: bool = False) -> np.ndarray:
    raw = table.columns[col]
    if not allow_empty:
        for row, text in enumerate(raw):
            if not text:
                raise table.fail(row, col, "empty value")
    return np.array(raw, dtype=str) if raw else np.zeros(0, dtype="<U1")


def _unique_ids(table: _Table, col: str) -> np.ndarray:
    ids = _parse_column(table, col, int, None, "")
    order = np.argsort(ids, kind="stable")
    dup = np.flatnonzero(ids[order][1:] == ids[order][:-1])
    if len(dup):
        raise table.fail(int(order[dup[0] + 1]), col, f"duplicate id {ids[order][dup[0]]}")
    return ids


def _lookup(table: _Table, col: str, ids: np.ndarray, what: str) -> np.ndarray:
    """Map a column of ids to indices into ``ids`` (sorted search, vectorised)."""
    wanted = _parse_column(table, col, int, None, "")
    order = np.argsort(ids, kind="stable")
    pos = np.searchsorted(ids[order], wanted)
    pos = np.minimum(pos, max(len(ids) - 1, 0))
    found = (ids[order][pos] == wanted) if len(ids) else np.zeros(len(wanted), bool)
    bad = np.flatnonzero(~found)
    if len(bad):
        raise table.fail(int(bad[0]), col, f"unknown {what} {wanted[bad[0]]}")
    return order[pos].astype(np.int32)


def _in_range(lo: float, hi: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda v: (v >= lo) & (v <= hi)


# --------------------------------------------------------------------------------------------
# meta.json
# --------------------------------------------------------------------------------------------


def _read_meta(folder: Path) -> Meta:
    path = folder / META_FILE
    if not path.is_file():
        raise InstanceError(META_FILE, "file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InstanceError(META_FILE, f"invalid JSON: {exc.msg}", exc.lineno, f"char {exc.colno}") from None
    if not isinstance(data, dict):
        raise InstanceError(META_FILE, "a JSON object is expected", 1)

    def need(key: str, ok: Callable[[object], bool], rule: str) -> object:
        if key not in data:
            raise InstanceError(META_FILE, "missing key", None, key)
        if not ok(data[key]):
            raise InstanceError(META_FILE, f"{rule}, got {data[key]!r}", None, key)
        return data[key]

    def is_number(v: object) -> bool:
        return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)

    start = need("start_date", _is_iso_date, "ISO date (YYYY-MM-DD) expected")
    horizon = need("horizon_days", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 1,
                   "positive integer expected")
    big = need("BIG_km_per_urgency", lambda v: is_number(v) and v > 0, "positive number expected")
    rules = _read_rules(data.get("rules", {}), is_number)
    extra = {k: v for k, v in data.items() if k not in {"start_date", "horizon_days", "BIG_km_per_urgency", "rules"}}
    return Meta(str(start), int(horizon), float(big), rules, extra)


def _is_iso_date(value: object) -> bool:
    try:
        return isinstance(value, str) and len(value) == 10 and date.fromisoformat(value) is not None
    except ValueError:
        return False


def _read_rules(raw: object, is_number: Callable[[object], bool]) -> Rules:
    if not isinstance(raw, dict):
        raise InstanceError(META_FILE, "an object expected", None, "rules")
    known = {"rest_night_then_day", "rest_after_24h", "max_hours_per_7_days"}
    for key in raw:
        if key not in known:
            raise InstanceError(META_FILE, "unknown rule", None, f"rules.{key}")
    for key in ("rest_night_then_day", "rest_after_24h"):
        if key in raw and not isinstance(raw[key], bool):
            raise InstanceError(META_FILE, f"true or false expected, got {raw[key]!r}", None, f"rules.{key}")
    hours = raw.get("max_hours_per_7_days")
    if hours is not None and not (is_number(hours) and hours >= 0):
        raise InstanceError(META_FILE, f"null or a non-negative number expected, got {hours!r}", None,
                            "rules.max_hours_per_7_days")
    # A rule left out keeps the legal default of ``Rules`` (the 11 h rest on): switching a rule off
    # must be said, not implied by a missing key.
    legal = Rules()
    return Rules(
        rest_night_then_day=raw.get("rest_night_then_day", legal.rest_night_then_day),
        rest_after_24h=raw.get("rest_after_24h", legal.rest_after_24h),
        max_hours_per_7_days=legal.max_hours_per_7_days if hours is None else float(hours),
    )


# --------------------------------------------------------------------------------------------
# Reading the folder
# --------------------------------------------------------------------------------------------


def _read_pros(folder: Path, vocab: dict[str, int], prof_vocab: dict[str, int]) -> tuple[_Table, dict]:
    t = _read_table(folder, PROS_FILE, PROS_COLUMNS, ("used_missions",))
    cols = {
        "ids": _unique_ids(t, "pro_id"),
        "profession": _parse_text(t, "profession"),
        "skills": _token_rows(t.columns["skills"]),
        "lat": _parse_column(t, "lat", float, _in_range(-90, 90), "latitude must be in -90..90"),
        "lon": _parse_column(t, "lon", float, _in_range(-180, 180), "longitude must be in -180..180"),
        "commune": _parse_text(t, "commune_insee", allow_empty=True),
        "radius_km": _parse_column(t, "radius_km", float, lambda v: v >= 0, "radius must be >= 0"),
        "max_missions": _parse_column(t, "max_missions", int, lambda v: v >= 0, "max_missions must be >= 0"),
    }
    if "used_missions" in t.columns:
        cols["used_missions"] = _parse_column(t, "used_missions", int, lambda v: v >= 0, "must be >= 0")
    for tokens in cols["skills"][0]:
        for s in tokens:
            vocab.setdefault(s, len(vocab))
    for p in cols["profession"]:
        prof_vocab.setdefault(str(p), len(prof_vocab))
    return t, cols


def _read_slots(folder: Path, name: str, pro_ids: np.ndarray, horizon: int, margin: int) -> Slots:
    t = _read_table(folder, name, AVAILABILITY_COLUMNS)
    pro = _lookup(t, "pro_id", pro_ids, "pro_id")
    lo, hi = 1 - margin, horizon + margin
    day = _parse_column(t, "day", int, _in_range(lo, hi), f"day must be in {lo}..{hi}")
    slot = _parse_slots(t)
    key = (pro.astype(np.int64) * (hi - lo + 1) + (day - lo)) * 2 + slot
    order = np.argsort(key, kind="stable")
    dup = np.flatnonzero(key[order][1:] == key[order][:-1])
    if len(dup):
        raise t.fail(int(order[dup[0] + 1]), "slot", "duplicate (pro_id, day, slot) row")
    return Slots(pro, day.astype(np.int16), slot)


def _read_establishments(folder: Path) -> Establishments:
    t = _read_table(folder, ESTABLISHMENTS_FILE, ESTABLISHMENTS_COLUMNS)
    return Establishments(
        ids=_unique_ids(t, "estab_id"),
        kind=_parse_text(t, "kind"),
        commune=_parse_text(t, "commune_insee", allow_empty=True),
        departement=_parse_text(t, "departement", allow_empty=True),
        lat=_parse_column(t, "lat", float, _in_range(-90, 90), "latitude must be in -90..90"),
        lon=_parse_column(t, "lon", float, _in_range(-180, 180), "longitude must be in -180..180"),
    )


def _read_shifts(folder: Path, estab_ids: np.ndarray, horizon: int, vocab: dict[str, int],
                 prof_vocab: dict[str, int]) -> dict:
    t = _read_table(folder, SHIFTS_FILE, SHIFTS_COLUMNS)
    cols = {
        "ids": _unique_ids(t, "shift_id"),
        "estab": _lookup(t, "estab_id", estab_ids, "estab_id"),
        "profession": _parse_text(t, "profession"),
        "required": _token_rows(t.columns["required_skills"]),
        "day": _parse_column(t, "day", int, _in_range(1, horizon), f"day must be in 1..{horizon}"),
        "slot": _parse_slots(t),
        "positions": _parse_column(t, "positions", int, lambda v: v >= 1, "positions must be >= 1"),
        "urgency": _parse_column(t, "urgency", int, _in_range(URGENCY_MIN, URGENCY_MAX), "urgency must be in 1..5"),
        "posted_seq": _parse_column(t, "posted_seq", int, None, ""),
    }
    for tokens in cols["required"][0]:
        for s in tokens:
            vocab.setdefault(s, len(vocab))
    for p in cols["profession"]:
        prof_vocab.setdefault(str(p), len(prof_vocab))
    return cols


def _codes(values: np.ndarray, vocab: dict[str, int]) -> np.ndarray:
    if len(values) == 0:
        return np.zeros(0, np.int16)
    uniq, inverse = np.unique(values, return_inverse=True)
    table = np.array([vocab[str(u)] for u in uniq], dtype=np.int16)
    return table[inverse]


def read_instance(folder: str | Path) -> Instance:
    """Read and strictly validate an instance folder; raise :class:`InstanceError` on any defect."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InstanceError(str(folder), "not a folder")
    meta = _read_meta(folder)
    skill_vocab: dict[str, int] = {}
    prof_vocab: dict[str, int] = {}
    _, p = _read_pros(folder, skill_vocab, prof_vocab)
    availability = _read_slots(folder, AVAILABILITY_FILE, p["ids"], meta.horizon_days, 0)
    estabs = _read_establishments(folder)
    s = _read_shifts(folder, estabs.ids, meta.horizon_days, skill_vocab, prof_vocab)
    booked = Slots.empty()
    if (folder / BOOKED_FILE).is_file():
        booked = _read_slots(folder, BOOKED_FILE, p["ids"], meta.horizon_days, BOOKED_MARGIN_DAYS)
    words = max(1, -(-len(skill_vocab) // 64))
    used = p.get("used_missions")
    if used is None:
        used = np.bincount(booked.pro, minlength=len(p["ids"]))
    pros = Pros(
        ids=p["ids"], profession=_codes(p["profession"], prof_vocab),
        skills=_encode_rows(p["skills"], skill_vocab, words), lat=p["lat"], lon=p["lon"],
        commune=p["commune"], radius_km=p["radius_km"], max_missions=p["max_missions"].astype(np.int32),
        used_missions=np.asarray(used, dtype=np.int32),
    )
    shifts = Shifts(
        ids=s["ids"], estab=s["estab"], profession=_codes(s["profession"], prof_vocab),
        required=_encode_rows(s["required"], skill_vocab, words), day=s["day"].astype(np.int16),
        slot=s["slot"], positions=s["positions"].astype(np.int32), urgency=s["urgency"].astype(np.int8),
        posted_seq=s["posted_seq"],
    )
    return Instance(pros, availability, estabs, shifts, meta, tuple(prof_vocab), tuple(skill_vocab), booked)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _fmt_float(values: np.ndarray) -> list[str]:
    # repr round-trips exactly, so write → read gives the same arrays bit for bit.
    return [repr(float(v)) for v in values]


def _write_csv(path: Path, header: Sequence[str], columns: Sequence[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(",".join(header) + "\n")
        # tolist() first: str() of Python ints is several times faster than of NumPy scalars.
        cols = [c.tolist() if isinstance(c, np.ndarray) else c for c in columns]
        handle.writelines(",".join(map(str, row)) + "\n" for row in zip(*cols, strict=True))


def _slot_text(slot: np.ndarray) -> np.ndarray:
    return np.where(slot == 1, "N", "D")


def write_instance(instance: Instance, folder: str | Path) -> None:
    """Write ``instance`` in the FORMAT.md layout (plus ``booked.csv`` when missions are booked)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    inst, p, s, e = instance, instance.pros, instance.shifts, instance.establishments
    prof = np.array(inst.professions, dtype=object)
    skills = [decode_skills(row, inst.skills) for row in p.skills]
    pro_cols = [p.ids, prof[p.profession], skills, _fmt_float(p.lat), _fmt_float(p.lon), p.commune,
                _fmt_float(p.radius_km), p.max_missions]
    header = list(PROS_COLUMNS)
    if p.used_missions.any():
        header.append("used_missions")
        pro_cols.append(p.used_missions)
    _write_csv(folder / PROS_FILE, header, pro_cols)
    a = inst.availability
    _write_csv(folder / AVAILABILITY_FILE, AVAILABILITY_COLUMNS, [p.ids[a.pro], a.day, _slot_text(a.slot)])
    _write_csv(folder / ESTABLISHMENTS_FILE, ESTABLISHMENTS_COLUMNS,
               [e.ids, e.kind, e.commune, e.departement, _fmt_float(e.lat), _fmt_float(e.lon)])
    required = [decode_skills(row, inst.skills) for row in s.required]
    _write_csv(folder / SHIFTS_FILE, SHIFTS_COLUMNS,
               [s.ids, e.ids[s.estab], prof[s.profession], required, s.day, _slot_text(s.slot), s.positions,
                s.urgency, s.posted_seq])
    if len(inst.booked):
        b = inst.booked
        _write_csv(folder / BOOKED_FILE, BOOKED_COLUMNS, [p.ids[b.pro], b.day, _slot_text(b.slot)])
    _write_meta(inst, folder / META_FILE)


def _write_meta(inst: Instance, path: Path) -> None:
    rules = inst.meta.rules
    meta = {
        "start_date": inst.meta.start_date,
        "horizon_days": inst.meta.horizon_days,
        **{k: v for k, v in inst.meta.extra.items() if not k.startswith("n_")},
        "BIG_km_per_urgency": inst.meta.big,
        "n_pros": len(inst.pros),
        "n_availability_slots": len(inst.availability),
        "n_establishments": len(inst.establishments),
        "n_shifts": len(inst.shifts),
        "n_positions": int(inst.shifts.positions.sum()),
        "rules": {
            "rest_night_then_day": rules.rest_night_then_day,
            "rest_after_24h": rules.rest_after_24h,
            "max_hours_per_7_days": rules.max_hours_per_7_days,
        },
    }
    path.write_text(json.dumps(meta, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def write_assignment(instance: Instance, assignment: Assignment, path: str | Path) -> None:
    """Write ``shift_id,position,pro_id,km`` rows sorted by shift id then position."""
    shift_ids = instance.shifts.ids[assignment.shift]
    order = np.lexsort((assignment.position, shift_ids))
    km = [f"{v:.3f}" for v in assignment.km[order]]
    _write_csv(Path(path), (*ASSIGNMENT_COLUMNS, "km"),
               [shift_ids[order], assignment.position[order], instance.pros.ids[assignment.pro[order]], km])


def read_assignment(instance: Instance, path: str | Path) -> Assignment:
    """Read an assignment file written for ``instance``; ``km`` is recomputed, never trusted."""
    path = Path(path)
    t = _read_table(path.parent, path.name, ASSIGNMENT_COLUMNS)
    shift = _lookup(t, "shift_id", instance.shifts.ids, "shift_id")
    pro = _lookup(t, "pro_id", instance.pros.ids, "pro_id")
    position = _parse_column(t, "position", int, lambda v: v >= 1, "position must be >= 1").astype(np.int32)
    estab = instance.shifts.estab[shift]
    e, p = instance.establishments, instance.pros
    km = haversine_km(p.lat[pro], p.lon[pro], e.lat[estab], e.lon[estab])
    return Assignment(shift, position, pro, km)
