"""Uploaded files (diplomas, insurance, contracts) are served only through views that check who asks."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import Resolver404, clear_url_caches, resolve

import ville_hopital.urls


@pytest.fixture
def urls_as_in_debug():
    """The URLconf as ``make run`` builds it (DEBUG on), then as it was."""
    with override_settings(DEBUG=True):
        importlib.reload(ville_hopital.urls)
        clear_url_caches()
        yield
    importlib.reload(ville_hopital.urls)
    clear_url_caches()


@pytest.mark.parametrize("name", ["credentials/1/diplome.pdf", "contracts/1/contrat.pdf"])
def test_no_route_serves_uploaded_files_even_in_debug(urls_as_in_debug, name):
    with pytest.raises(Resolver404):
        resolve(f"{settings.MEDIA_URL}{name}")


def test_an_anonymous_request_for_an_uploaded_file_gets_404(urls_as_in_debug, client):
    stored = Path(settings.MEDIA_ROOT) / "credentials" / "1" / "diplome.pdf"
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(b"%PDF-1.4 a diploma")
    assert client.get(f"{settings.MEDIA_URL}credentials/1/diplome.pdf").status_code == 404
