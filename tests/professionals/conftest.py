"""Fixtures of the professionals area (the data itself is built with ``tests.factories``)."""

from __future__ import annotations

import pytest

from establishments.models import MemberRole
from tests.factories import make_establishment, make_user


@pytest.fixture
def hr_user(db):
    return make_user()


@pytest.fixture
def writer_establishment(hr_user):
    return make_establishment(members={hr_user: MemberRole.HR})
