"""One haversine for the platform and the engine, and an engine that stays free of Django."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from missions.matching import candidates, checker
from missions.matching import instance as instance_module
from territories import geo

ROOT = Path(__file__).resolve().parents[2]


def test_the_engine_measures_with_the_platforms_haversine():
    assert candidates.haversine_km is checker.haversine_km is instance_module.haversine_km is geo.haversine_km


def test_arrays_and_scalars_give_the_same_distances():
    rng = np.random.default_rng(7)
    lat1, lat2 = rng.uniform(-21.5, 51.2, 200), rng.uniform(-21.5, 51.2, 200)  # La Réunion to Dunkerque
    lon1, lon2 = rng.uniform(-61.9, 55.9, 200), rng.uniform(-61.9, 55.9, 200)
    vectorised = geo.haversine_km(lat1, lon1, lat2, lon2)
    one_by_one = [geo.haversine_km(*row) for row in zip(lat1, lon1, lat2, lon2, strict=True)]
    assert np.array_equal(vectorised, np.array(one_by_one))


def test_importing_the_engine_loads_no_django():
    code = "import sys, missions.matching, missions.matching.cli; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
