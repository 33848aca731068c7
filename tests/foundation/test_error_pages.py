"""403, 404 and 500 are pages of the site, in the visitor's language, not Django's English defaults."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views.defaults import server_error

from establishments.models import MemberRole
from tests.factories import add_member, make_shift, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("language", "title"), [("fr", "Page introuvable"), ("en", "Page not found")])
def test_404_is_the_sites_page_in_the_visitors_language(client, language, title):
    response = client.get("/pas-de-page-ici/", headers={"accept-language": language})
    page = response.content.decode()
    assert response.status_code == 404
    assert f"<h1>{title}</h1>" in page and 'class="site-header"' in page and f'lang="{language}"' in page


def test_403_says_why_in_the_sites_layout(client):
    shift = make_shift()
    viewer = make_user("viewer@example.org")
    add_member(shift.establishment, viewer, MemberRole.VIEWER)
    client.force_login(viewer)
    response = client.post(reverse("missions:hr_shift_cancel", args=[shift.pk]), {"reason": "essai"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Accès refusé</h1>" in page and 'class="site-header"' in page


@pytest.mark.parametrize(("language", "title"), [("fr", "Erreur du serveur"), ("en", "Server error")])
def test_500_renders_without_a_request_context(language, title):
    request = RequestFactory().get("/")
    with translation.override(language):
        response = server_error(request)
    page = response.content.decode()
    assert response.status_code == 500 and f"<h1>{title}</h1>" in page and "Ville-Hôpital" in page
