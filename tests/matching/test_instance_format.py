"""Reading, writing and strict validation of instance folders; the CLI on good and bad input."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from django.core.management import CommandError, call_command

from missions.matching import (
    InstanceError,
    read_assignment,
    read_instance,
    solve,
    write_assignment,
    write_instance,
)
from missions.matching.cli import main
from missions.platform.files import read_excluded


def _edit_cell(path: Path, line: int, column: str, value: str) -> None:
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[line - 1].split(",")
    cells[header.index(column)] = value
    lines[line - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")


CELL_ERRORS = [
    ("availability.csv", 5, "pro_id", "999999", "unknown pro_id"),
    ("shifts.csv", 7, "estab_id", "4242", "unknown estab_id"),
    ("shifts.csv", 3, "positions", "0", "positions must be >= 1"),
    ("shifts.csv", 4, "positions", "-2", "positions must be >= 1"),
    ("shifts.csv", 9, "day", "31", "day must be in 1..30"),
    ("availability.csv", 11, "day", "0", "day must be in 1..30"),
    ("shifts.csv", 6, "slot", "X", "slot must be D or N"),
    ("availability.csv", 2, "slot", "d", "slot must be D or N"),
    ("shifts.csv", 8, "urgency", "6", "urgency must be in 1..5"),
    ("shifts.csv", 8, "urgency", "0", "urgency must be in 1..5"),
    ("pros.csv", 10, "lat", "abc", "number expected"),
    ("pros.csv", 12, "radius_km", "nan", "finite number expected"),
    ("pros.csv", 13, "max_missions", "2.5", "integer expected"),
    ("establishments.csv", 4, "lon", "", "number expected"),
    ("shifts.csv", 12, "posted_seq", "x1", "integer expected"),
    ("pros.csv", 20, "pro_id", "1", "duplicate id"),
]


@pytest.mark.parametrize(("file", "line", "column", "value", "message"), CELL_ERRORS)
def test_malformed_cell_names_file_line_and_column(folder, file, line, column, value, message):
    _edit_cell(folder / file, line, column, value)
    with pytest.raises(InstanceError) as info:
        read_instance(folder)
    err = info.value
    assert (err.file, err.line, err.column) == (file, line, column)
    assert message in str(err)
    assert f"{file}, line {line}, column {column!r}" in str(err)


@pytest.mark.parametrize("file", ["pros.csv", "availability.csv", "establishments.csv", "shifts.csv", "meta.json"])
def test_missing_file_is_named(folder, file):
    (folder / file).unlink()
    with pytest.raises(InstanceError) as info:
        read_instance(folder)
    assert info.value.file == file
    assert "file not found" in str(info.value)


@pytest.mark.parametrize(("file", "column"), [("pros.csv", "radius_km"), ("shifts.csv", "urgency"),
                                              ("availability.csv", "slot"), ("establishments.csv", "lat")])
def test_missing_column_is_named_on_the_header_line(folder, file, column):
    path = folder / file
    rows = [r.split(",") for r in path.read_text().splitlines()]
    k = rows[0].index(column)
    path.write_text("\n".join(",".join(r[:k] + r[k + 1:]) for r in rows) + "\n")
    with pytest.raises(InstanceError) as info:
        read_instance(folder)
    assert (info.value.file, info.value.line, info.value.column) == (file, 1, column)


def test_short_row_is_reported_with_its_line(folder):
    path = folder / "shifts.csv"
    lines = path.read_text().splitlines()
    lines[4] = ",".join(lines[4].split(",")[:-1])
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InstanceError) as info:
        read_instance(folder)
    assert (info.value.file, info.value.line) == ("shifts.csv", 5)


@pytest.mark.parametrize(("old", "new", "key"), [
    ('"horizon_days": 30', '"horizon_days": "thirty"', "horizon_days"),
    ('"start_date": "2025-11-03"', '"start_date": "2025-13-03"', "start_date"),
    ('"BIG_km_per_urgency": 10000.0', '"BIG_km_per_urgency": -1', "BIG_km_per_urgency"),
    ('"rest_after_24h": false', '"rest_after_24h": "no"', "rules.rest_after_24h"),
])
def test_bad_meta_is_reported(folder, old, new, key):
    path = folder / "meta.json"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    with pytest.raises(InstanceError) as info:
        read_instance(folder)
    assert (info.value.file, info.value.column) == ("meta.json", key)


def test_cli_on_malformed_folder_exits_2_and_writes_nothing(folder, tmp_path):
    _edit_cell(folder / "shifts.csv", 9, "day", "45")
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "assignment.csv"
    code = main(["solve", str(folder), "--out", str(target)], stdout=out, stderr=err)
    assert code == 2
    assert not target.exists()
    assert "shifts.csv, line 9, column 'day'" in err.getvalue()
    assert out.getvalue() == ""


def test_cli_solves_and_writes_the_assignment(folder, tmp_path):
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "assignment.csv"
    assert main(["solve", str(folder), "--out", str(target)], stdout=out, stderr=err) == 0
    assert "filled       304 / 389" in out.getvalue()
    assert "objective    5866386.609" in out.getvalue()
    inst = read_instance(folder)
    a = read_assignment(inst, target)
    assert len(a) == 304
    assert round(float(a.km.sum()), 3) == 3613.391
    assert main(["solve", str(folder), "--baseline"], stdout=io.StringIO(), stderr=err) == 0


def test_write_then_read_round_trips(folder, tmp_path):
    inst = read_instance(folder)
    write_instance(inst, tmp_path / "copy")
    again = read_instance(tmp_path / "copy")
    for part in ("pros", "availability", "establishments", "shifts"):
        a, b = getattr(inst, part), getattr(again, part)
        for name, value in a.__dict__.items():
            other = getattr(b, name)
            if name in ("skills", "required", "profession"):
                continue  # codes may be numbered differently; compared through solving below
            assert np.array_equal(value, other), (part, name)
    assert again.meta.rules == inst.meta.rules
    assert solve(again).objective == solve(inst).objective


def test_assignment_round_trip(folder, tmp_path):
    inst = read_instance(folder)
    result = solve(inst)
    write_assignment(inst, result.assignment, tmp_path / "a.csv")
    back = read_assignment(inst, tmp_path / "a.csv")
    key = sorted(zip(back.shift.tolist(), back.position.tolist(), back.pro.tolist(), strict=True))
    ref = sorted(zip(result.assignment.shift.tolist(), result.assignment.position.tolist(),
                     result.assignment.pro.tolist(), strict=True))
    assert key == ref


def test_assignment_with_unknown_pro_is_rejected(folder, tmp_path):
    inst = read_instance(folder)
    (tmp_path / "a.csv").write_text("shift_id,position,pro_id\n3,1,172\n3,2,77777\n")
    with pytest.raises(InstanceError) as info:
        read_assignment(inst, tmp_path / "a.csv")
    assert (info.value.file, info.value.line, info.value.column) == ("a.csv", 3, "pro_id")


def _excluded(folder: Path, rows: list[str], header: str = "pro_id,shift_id") -> None:
    inst = read_instance(folder)
    good = f"{int(inst.pros.ids[0])},{int(inst.shifts.ids[0])}"
    (folder / "excluded.csv").write_text("\n".join([header, good, *rows]) + "\n")


EXCLUDED_ERRORS = [
    (["77777,{shift}"], 3, "pro_id", "unknown pro_id 77777"),
    (["{pro},88888"], 3, "shift_id", "unknown shift_id 88888"),
    (["{pro},{shift}", "x1,{shift}"], 4, "pro_id", "integer expected, got 'x1'"),
    (["{pro}, "], 3, "shift_id", "integer expected, got ''"),
]


@pytest.mark.parametrize(("rows", "line", "column", "message"), EXCLUDED_ERRORS)
def test_excluded_pairs_errors_name_file_line_and_column(folder, rows, line, column, message):
    inst = read_instance(folder)
    ids = {"pro": int(inst.pros.ids[1]), "shift": int(inst.shifts.ids[1])}
    _excluded(folder, [r.format(**ids) for r in rows])
    with pytest.raises(InstanceError) as info:
        read_excluded(folder, inst)
    err = info.value
    assert (err.file, err.line, err.column) == ("excluded.csv", line, column)
    assert message in str(err)
    assert f"excluded.csv, line {line}, column {column!r}" in str(err)


def test_excluded_pairs_missing_column_and_short_row(folder):
    inst = read_instance(folder)
    _excluded(folder, [], header="pro_id,shift")
    with pytest.raises(InstanceError) as info:
        read_excluded(folder, inst)
    assert (info.value.file, info.value.line, info.value.column) == ("excluded.csv", 1, "shift_id")
    _excluded(folder, ["", "12"])  # a blank line is skipped; a row of one field is not
    with pytest.raises(InstanceError) as info:
        read_excluded(folder, inst)
    assert (info.value.file, info.value.line) == ("excluded.csv", 4)
    assert "expected 2 fields, found 1" in str(info.value)


def test_excluded_pairs_are_read(folder):
    inst = read_instance(folder)
    _excluded(folder, [f"{int(inst.pros.ids[2])},{int(inst.shifts.ids[1])}"])
    pro, shift = read_excluded(folder, inst)
    assert pro.tolist() == [0, 2] and shift.tolist() == [0, 1]


def test_matching_solve_on_a_bad_excluded_file_exits_2_and_writes_nothing(folder, tmp_path):
    _excluded(folder, [f"77777,{int(read_instance(folder).shifts.ids[0])}"])
    target = tmp_path / "assignment.csv"
    with pytest.raises(CommandError) as info:
        call_command("matching_solve", str(folder), "--out", str(target))
    assert info.value.returncode == 2
    assert "excluded.csv, line 3, column 'pro_id'" in str(info.value)
    assert not target.exists()


def _without_rules(folder: Path, keep: str | None) -> None:
    meta = json.loads((folder / "meta.json").read_text())
    meta["rules"] = {} if keep is None else {keep: meta["rules"][keep]}
    (folder / "meta.json").write_text(json.dumps(meta))


@pytest.mark.parametrize("keep", [None, "rest_after_24h"])
def test_a_rule_left_out_of_meta_keeps_the_legal_default(folder, keep):
    # A generated instance without the key once switched the 11 h rest off without a word.
    _without_rules(folder, keep)
    rules = read_instance(folder).rules
    assert (rules.rest_night_then_day, rules.rest_after_24h, rules.max_hours_per_7_days) == (True, False, None)


def test_the_cli_prints_the_rules_it_applied(folder):
    meta = json.loads((folder / "meta.json").read_text())
    meta["rules"] = {"rest_night_then_day": False, "max_hours_per_7_days": 48}
    (folder / "meta.json").write_text(json.dumps(meta))
    out = io.StringIO()
    assert main(["solve", str(folder)], stdout=out) == 0
    assert "rules        rest_night_then_day off, rest_after_24h off, max_hours_per_7_days 48 h" in out.getvalue()
    _without_rules(folder, None)
    out = io.StringIO()
    assert main(["solve", str(folder), "--json"], stdout=out) == 0
    assert json.loads(out.getvalue())["rules"] == {
        "rest_night_then_day": True, "rest_after_24h": False, "max_hours_per_7_days": None,
    }
