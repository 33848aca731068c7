import pytest

from tests.factories import make_user


@pytest.fixture
def staff(db):
    return make_user("staff@example.org", is_staff=True)
