"""What the matching command's speed-ups must not change: the optimum, the rules applied, the reading."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from missions.matching import Rules, check_assignment, read_assignment, read_instance, solve
from missions.matching.instance import SHIFTS_FILE

from .random_instances import random_instance

SAMPLE = Path(__file__).parent / "data" / "sample-lozere"
ALL_RULES = Rules(rest_night_then_day=True, rest_after_24h=True, max_hours_per_7_days=48.0)


def test_the_command_writes_the_engines_optimum_on_the_sample(folder, tmp_path):
    out = io.StringIO()
    call_command("matching_solve", str(folder), "--out", str(tmp_path / "a.csv"), stdout=out)
    inst = read_instance(folder)
    engine = solve(inst)
    expected = json.loads((SAMPLE / "expected.json").read_text())["optimum"]
    assert round(engine.objective, 3) == expected["objective"]
    assert engine.gap < 1e-9  # zero up to the flow's millimetre resolution
    written = read_assignment(inst, tmp_path / "a.csv")  # km recomputed from the pairs
    assert check_assignment(inst, written) == []
    value = inst.meta.big * int(inst.shifts.urgency[written.shift].astype(np.int64).sum()) - float(written.km.sum())
    assert round(value, 3) == expected["objective"]
    assert len(written) == expected["filled"]
    assert f"objective    {expected['objective']:.3f}" in out.getvalue()


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("rules", [Rules(rest_night_then_day=True), Rules(rest_night_then_day=False), ALL_RULES],
                         ids=["rest", "base", "all-rules"])
def test_one_flow_per_component_equals_one_flow_over_everything(seed, rules):
    # Two professions, and pros sharing shifts across days: several components, some large.
    inst = random_instance(seed + 300, n_pros=40, n_shifts=36, horizon=8, rules=rules, density=0.6)
    whole = solve(inst, batch_arcs=10**9)
    split = solve(inst, batch_arcs=1)
    assert whole.counts["flow_batches"] == 1
    assert split.counts["flow_batches"] > 1
    assert check_assignment(inst, split.assignment) == []
    assert split.upper_bound == pytest.approx(whole.upper_bound, abs=1e-6)
    assert split.objective == pytest.approx(whole.objective, abs=1e-6 * max(whole.filled, 1))


def test_a_meta_without_rules_gets_the_legal_defaults_and_the_command_says_so(folder, tmp_path):
    meta = json.loads((folder / "meta.json").read_text())
    del meta["rules"]
    (folder / "meta.json").write_text(json.dumps(meta))
    assert read_instance(folder).rules == Rules()
    line = "rules        rest_night_then_day on, rest_after_24h off, max_hours_per_7_days no limit"
    out = io.StringIO()
    call_command("matching_solve", str(folder), "--out", str(tmp_path / "a.csv"), stdout=out)
    assert line in out.getvalue()
    # The platform's path (excluded pairs) prints the same line.
    (folder / "excluded.csv").write_text("pro_id,shift_id\n")
    out = io.StringIO()
    call_command("matching_solve", str(folder), "--out", str(tmp_path / "b.csv"), stdout=out)
    assert line in out.getvalue()


def test_the_fast_reader_and_the_csv_reader_read_the_same_instance(folder):
    plain = read_instance(folder)
    for f in folder.glob("*.csv"):  # carriage returns send every file through the csv module
        f.write_bytes(f.read_bytes().replace(b"\n", b"\r\n"))
    slow = read_instance(folder)
    for part in ("pros", "availability", "establishments", "shifts", "booked"):
        for name, value in getattr(plain, part).__dict__.items():
            assert np.array_equal(value, getattr(getattr(slow, part), name)), (part, name)
    assert (plain.professions, plain.skills, plain.meta) == (slow.professions, slow.skills, slow.meta)


def test_a_bad_row_still_names_its_line_on_the_fast_path(folder):
    lines = (folder / SHIFTS_FILE).read_text().splitlines()
    lines[4] += ",extra"
    (folder / SHIFTS_FILE).write_text("\n".join(lines) + "\n")
    with pytest.raises(ValueError, match=r"shifts\.csv, line 5: expected 9 fields, found 10"):
        read_instance(folder)
