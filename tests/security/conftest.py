"""The security modules' world (see ``world.py``), built once per module: the matrix and the fuzz
make hundreds of requests against the same objects, each inside a savepoint rolled back after it."""

from __future__ import annotations

import pytest
from django.db import transaction

from tests.security.world import World, build_world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> World:
    """Built in an outer transaction that each test's own (pytest-django's) nests in, and rolled
    back after the module's last test."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)
