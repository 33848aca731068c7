"""Contract PDFs and the 1,000-line CSV import, each against a baseline measured in the same run.

These used to be timed assertions inside the test suite (« later renders under 1 s », « import under
10 s »), which fail on a busy machine and say nothing about the code. Here they are ratios:

* ``contract_new_version`` (the draft's path: HTML template → WeasyPrint PDF → stored, audited) against WeasyPrint rendering
  a one-paragraph HTML page (the fixed cost of the PDF engine);
* ``shifts_import_csv`` of 1,000 lines (parse, validate every line against the rules and the legal
  caps, write the shifts) against Python's ``csv`` module reading the same bytes.

    .venv/bin/python bench/bench_documents.py [--repeat 5]

Runs on a throw-away SQLite database (the embedded set-up) built with the test factories, and writes
the numbers and the machine to ``docs/bench/documents.md``.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def setup_django(folder: str) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ville_hopital.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.MEDIA_ROOT = f"{folder}/media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("migrate", verbosity=0)
    call_command("load_geography", verbosity=0)


def timed(function, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        out.append(time.perf_counter() - started)
    return out


def thousand_line_csv() -> bytes:
    from django.utils import timezone

    header = ["unite", "profession", "competences", "date", "debut", "fin", "postes", "urgence", "urgent",
              "remuneration", "lieu"]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for i in range(1000):
        # 1,000 different shifts (an import creates a shift once per natural key: unit, profession, start, end).
        day = timezone.localdate() + timedelta(days=3 + i % 28)
        minute = i // 28
        start, end = (f"08:{minute:02d}", f"20:{minute:02d}") if i % 2 else (f"20:{minute:02d}", f"08:{minute:02d}")
        writer.writerow(["Urgences", "IDE", "", f"{day:%d/%m/%Y}", start, end, "1", "3", "non", "600,00", ""])
    return out.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "docs" / "bench" / "documents.md"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        setup_django(folder)
        rows = run(args.repeat)
    write_report(rows, Path(args.out), args.repeat)


def run(repeat: int) -> list[tuple[str, list[float], str, list[float]]]:
    from weasyprint import HTML

    from establishments.csv_import import shifts_import_csv
    from establishments.models import Shift
    from missions.contracts.services import contract_draft, contract_new_version
    from tests.factories import make_establishment, make_mission, make_professional, make_unit, make_user

    hr = make_user()
    site = make_establishment(admin=hr, name="CH de Mende", type_code="CH")
    # Booking drafts the contract (on commit); each measured render is a new version of it, the
    # same rendering and storing path. The first render of a process loads the fonts: not measured.
    contract = contract_draft(mission=make_mission(make_professional(profession="10"), site))
    contract = contract_new_version(actor=hr, contract=contract, reason="Préchauffage")

    def one_render() -> None:
        nonlocal contract
        contract = contract_new_version(actor=hr, contract=contract, reason="Mesure")

    drafts = timed(one_render, repeat)
    pdf_base = timed(lambda: HTML(string="<p>Contrat de mission</p>").write_pdf(), repeat)

    data = thousand_line_csv()
    # Each import into an establishment of its own: every run writes 1,000 new shifts.
    sites = []
    for n in range(repeat):
        other = make_establishment(admin=hr, name=f"CH {n}", type_code="CH")
        make_unit(other, name="Urgences", by=hr)
        sites.append(other)
    targets = iter(sites)

    def one_import() -> None:
        target = next(targets)
        report = shifts_import_csv(actor=hr, establishment=target, file=io.BytesIO(data))
        assert report.ok and report.created == 1000 == Shift.objects.filter(establishment=target).count(), report.errors[:3]

    imports = timed(one_import, repeat)
    parse_base = timed(lambda: list(csv.reader(io.StringIO(data.decode()), delimiter=";")), repeat)
    return [
        ("contract_new_version (one contract PDF, stored and audited)", drafts, "WeasyPrint, one paragraph", pdf_base),
        ("shifts_import_csv, 1,000 lines", imports, "csv.reader, same bytes", parse_base),
    ]


def write_report(rows, out: Path, repeat: int) -> None:
    lines = [
        "# Contract PDFs and CSV import, against same-run baselines",
        "",
        f"`bench/bench_documents.py --repeat {repeat}` on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, SQLite (embedded set-up); median of {repeat} after one warm-up render.",
        "",
        "| measured | median | baseline | baseline median | ratio |",
        "|---|---:|---|---:|---:|",
    ]
    for name, values, base_name, base in rows:
        m, b = statistics.median(values), statistics.median(base)
        lines.append(f"| {name} | {m * 1000:.0f} ms | {base_name} | {b * 1000:.1f} ms | {m / b:.1f}× |")
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
