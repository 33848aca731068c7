"""matching_export / matching_solve: the platform's pair rules travel with the folder (excluded.csv)."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from missions.matching.cli import main as engine_main

MONTPELLIER, CASTELNAU = "34172", "34057"


def _pairs(path):
    with open(path, newline="") as handle:
        return {(int(r["shift_id"]), int(r["pro_id"])) for r in csv.DictReader(handle)}


def test_solve_honours_excluded_pairs(world, tmp_path):
    est = world.estab(MONTPELLIER)
    shift = world.shift(est, day=3)
    near = world.pro(MONTPELLIER, days=(3,))
    near.blocked_establishments.add(est)
    far = world.pro(CASTELNAU, days=(3,))
    folder = tmp_path / "inst"
    call_command("matching_export", "--region", "76", "--start", world.start.isoformat(), "--out", str(folder),
                 stdout=io.StringIO())
    assert _pairs_excluded(folder) == {(near.pk, shift.pk)}
    platform, pure = tmp_path / "platform.csv", tmp_path / "pure.csv"
    call_command("matching_solve", str(folder), "--out", str(platform), stdout=io.StringIO())
    assert _pairs(platform) == {(shift.pk, far.pk)}
    # The pure FORMAT.md problem knows no blocks: the nearest professional gets it there.
    assert engine_main(["solve", str(folder), "--out", str(pure)], stdout=io.StringIO()) == 0
    assert _pairs(pure) == {(shift.pk, near.pk)}


def _pairs_excluded(folder):
    with open(folder / "excluded.csv", newline="") as handle:
        return {(int(r["pro_id"]), int(r["shift_id"])) for r in csv.DictReader(handle)}


def test_solve_rejects_a_malformed_folder_and_writes_nothing(world, tmp_path):
    world.shift(world.estab(MONTPELLIER), day=3)
    world.pro(MONTPELLIER, days=(3,))
    folder = tmp_path / "inst"
    call_command("matching_export", "--region", "76", "--start", world.start.isoformat(), "--out", str(folder),
                 stdout=io.StringIO())
    shifts = (folder / "shifts.csv").read_text().replace(",1,3,", ",-1,3,")  # negative positions
    (folder / "shifts.csv").write_text(shifts)
    out = tmp_path / "a.csv"
    with pytest.raises(CommandError) as error:
        call_command("matching_solve", str(folder), "--out", str(out), stdout=io.StringIO(), stderr=io.StringIO())
    assert error.value.returncode == 2 and "shifts.csv, line 2, column 'positions'" in str(error.value)
    assert not out.exists()


def test_export_unknown_region(world, tmp_path):
    with pytest.raises(CommandError):
        call_command("matching_export", "--region", "00", "--start", world.start.isoformat(), "--out", str(tmp_path))
