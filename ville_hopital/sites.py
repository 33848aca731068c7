"""The ``django.contrib.sites`` row follows the settings.

allauth writes the Site's name and domain into sign-up and password-reset emails; left as created
by ``django.contrib.sites`` they read « c'est example.com ! ». The row is set from ``SITE_NAME`` and
``SITE_URL`` after every ``migrate`` — the moment ``django.contrib.sites`` itself creates it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sites.models import Site


def site_sync_from_settings(**_signal: Any) -> Site:
    site, _created = Site.objects.update_or_create(
        pk=settings.SITE_ID,
        defaults={"domain": urlsplit(settings.SITE_URL).netloc, "name": settings.SITE_NAME},
    )
    return site
