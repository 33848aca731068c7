"""The FORMAT.md folder of a partition (``matching_export``) and the pairs the platform's rules
exclude (``excluded.csv``), read back by ``matching_solve``."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from missions.core.partition import Partition
from missions.matching.candidates import Candidates, build_candidates
from missions.matching.instance import (
    Instance,
    InstanceError,
    write_instance,
)

EXCLUDED_FILE = "excluded.csv"


def partition_export(part: Partition, folder: str | Path, *, excluded: tuple[np.ndarray, np.ndarray]) -> Path:
    """Write the FORMAT.md folder plus ``booked.csv`` and ``excluded.csv`` (see docs/matching-platform.md).

    ``excluded`` is the (pro index, shift index) pairs of the engine's candidates that the platform's
    pair rules remove (``missions.platform.eligible.excluded_pairs``).
    """
    folder = Path(folder)
    write_instance(part.instance, folder)
    inst = part.instance
    pro, shift = excluded
    with (folder / EXCLUDED_FILE).open("w", encoding="utf-8", newline="") as handle:
        handle.write("pro_id,shift_id\n")
        for p, s in zip(pro.tolist(), shift.tolist(), strict=True):
            handle.write(f"{inst.pros.ids[p]},{inst.shifts.ids[s]}\n")
    return folder


def read_excluded(folder: str | Path, instance: Instance) -> tuple[np.ndarray, np.ndarray]:
    """Read ``excluded.csv`` (absent: nothing excluded) as (pro index, shift index) arrays.

    A bad row raises :class:`InstanceError` naming the file, the line and the column, like the
    engine's own readers (FORMAT.md's bad-input rule).
    """
    path = Path(folder) / EXCLUDED_FILE
    if not path.is_file():
        return np.zeros(0, np.int32), np.zeros(0, np.int32)
    known = {"pro_id": {int(v): i for i, v in enumerate(instance.pros.ids)},
             "shift_id": {int(v): i for i, v in enumerate(instance.shifts.ids)}}
    found: dict[str, list[int]] = {column: [] for column in known}
    with path.open(newline="", encoding="utf-8-sig") as handle:  # -sig: tolerate an Excel BOM
        reader = csv.reader(handle)
        header = [h.strip() for h in next(reader, [])]
        for column in known:
            if column not in header:
                raise InstanceError(EXCLUDED_FILE, "missing column", 1, column)
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != len(header):
                raise InstanceError(EXCLUDED_FILE, f"expected {len(header)} fields, found {len(row)}",
                                    reader.line_num)
            for column, positions in known.items():
                text = row[header.index(column)].strip()
                try:
                    value = int(text)
                except ValueError:
                    raise InstanceError(EXCLUDED_FILE, f"integer expected, got {text!r}", reader.line_num,
                                        column) from None
                if value not in positions:
                    raise InstanceError(EXCLUDED_FILE, f"unknown {column} {value}", reader.line_num, column)
                found[column].append(positions[value])
    return np.array(found["pro_id"], np.int32), np.array(found["shift_id"], np.int32)


def candidates_without(instance: Instance, pro: np.ndarray, shift: np.ndarray) -> Candidates:
    """The engine's candidates of ``instance`` minus the listed (pro index, shift index) pairs."""
    cand = build_candidates(instance)
    n = max(len(instance.shifts), 1)
    bad = np.isin(cand.pro.astype(np.int64) * n + cand.shift, pro.astype(np.int64) * n + shift)
    return cand.subset(~bad)
