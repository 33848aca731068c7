import pytest
from allauth.account.models import EmailAddress

from accounts.models import User

PASSWORD = "correct-horse-battery-staple"


def make_user(email: str, **extra) -> User:
    user = User.objects.create_user(email, PASSWORD, first_name="Test", last_name="User", **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


@pytest.fixture
def staff(db):
    return make_user("staff@example.org", is_staff=True)
