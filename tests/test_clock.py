"""Time is an input of the tests: no test module reads the clock when it is imported, the run's
clock can be moved (``--today``) for the test process and the processes it starts, and a failing
test says the date it ran on."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.clock import HARD_DATES, OFFSET_ENV, parse_instant

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
CLOCK_CALLS = {"now", "today", "utcnow", "localdate", "localtime"}


def _import_time_nodes(tree: ast.Module):
    """The nodes evaluated when a module is imported: module and class bodies, decorators, default
    arguments; not the bodies of functions (they run later, on the test's clock)."""
    pending: list[ast.AST] = list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            arguments = node.args
            pending.extend([*arguments.defaults, *(d for d in arguments.kw_defaults if d is not None)])
            pending.extend(getattr(node, "decorator_list", []))
            continue
        yield node
        pending.extend(ast.iter_child_nodes(node))


def clock_reads_at_import(source: str) -> list[int]:
    """Line numbers of calls such as ``timezone.now()`` or ``date.today()`` run at import time."""
    lines = []
    for node in _import_time_nodes(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            is_time_time = isinstance(func, ast.Attribute) and func.attr == "time" and getattr(func.value, "id", "") == "time"
            if name in CLOCK_CALLS or is_time_time:
                lines.append(node.lineno)
    return sorted(lines)


def test_the_detector_sees_import_time_reads_and_ignores_function_bodies():
    source = textwrap.dedent(
        """
        from datetime import date
        from django.utils import timezone
        TODAY = date.today()
        class T:
            start = timezone.now()
            def method(self):
                return timezone.now()
        @pytest.mark.parametrize("d", [timezone.localdate()])
        def test_x(d, when=timezone.localtime()):
            return date.today()
        """
    )
    assert clock_reads_at_import(source) == [4, 6, 9, 10]


def test_no_test_module_reads_the_clock_at_import_time():
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted(TESTS.rglob("*.py"))
        for line in clock_reads_at_import(path.read_text())
    ]
    assert offenders == [], (
        "these read the clock when the module is imported, so their dates are fixed before a test "
        f"can move the clock; build the dates inside the test or a fixture: {offenders}"
    )


@pytest.mark.parametrize("value", HARD_DATES)
def test_hard_dates_are_read_in_paris(value):
    moment = parse_instant(value)
    assert moment.tzinfo is not None and moment.isoformat().startswith(value)


def test_the_makefile_runs_the_same_hard_dates():
    # `make test-dates` (what CI runs) cannot import Python before the venv exists, so it keeps its
    # own copy of the list; this keeps the two one list.
    line = next(row for row in (ROOT / "Makefile").read_text().splitlines() if row.startswith("HARD_DATES :="))
    assert tuple(line.split(":=", 1)[1].split()) == HARD_DATES


def _run(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env={**os.environ, **(env or {})}, capture_output=True, text=True,
        timeout=120,
    )


def test_a_failing_test_says_the_date_it_ran_on(tmp_path):
    (tmp_path / "test_fails.py").write_text("def test_fails():\n    assert False\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {"PYTHONPATH": str(ROOT), OFFSET_ENV: ""}
    result = _run(["-m", "pytest", "-p", "no:django", "-p", "tests.clock", "--today=2027-01-01T09:30",
                   "-p", "no:cacheprovider", str(tmp_path / "test_fails.py")], cwd=tmp_path, env=env)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "clock: Friday 2027-01-01 09:30 Europe/Paris (moved with --today)" in result.stdout
    assert "this test ran on Friday 2027-01-01 09:30 Europe/Paris (moved with --today)" in result.stdout


def test_processes_started_by_the_tests_follow_the_moved_clock(tmp_path):
    """A worker started through ``python -m tests.clock`` sees the same moved date as the test."""
    offset = parse_instant("2028-02-29T23:30").timestamp() - parse_instant("2026-01-01").timestamp()
    script = tmp_path / "show_date.py"
    script.write_text("import time\nprint(time.time())\n")
    # This run's own clock may be moved too (--today): compare with the real time.
    own_offset = float(os.environ.get(OFFSET_ENV) or 0)
    before = time.time() - own_offset
    result = _run(["-m", "tests.clock", "show_date"], cwd=ROOT,
                  env={OFFSET_ENV: str(offset), "PYTHONPATH": f"{ROOT}:{tmp_path}"})
    assert result.returncode == 0, result.stderr
    seen = float(result.stdout.strip())
    assert before + offset <= seen < time.time() - own_offset + offset + 1
