"""The public sample instance, copied for tests that edit it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SAMPLE = Path(__file__).parent / "data" / "sample-lozere"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "instance"
    shutil.copytree(SAMPLE, target)
    for f in target.iterdir():
        f.chmod(0o644)
    return target
