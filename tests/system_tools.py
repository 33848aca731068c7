"""System commands some tests need (LibreOffice, nginx): CI installs them (``make system-deps``,
``.ci/run``), so there a missing one fails the test; elsewhere the test is skipped, saying what to
install."""

from __future__ import annotations

import os
import shutil

import pytest


def required_tool(command: str, package: str) -> str:
    found = shutil.which(command)
    if found is None:
        reason = f"{command} is missing: apt-get install {package} (make system-deps)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found
