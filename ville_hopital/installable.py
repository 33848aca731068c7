"""The site as an app on a phone's home screen: web app manifest, service worker, offline page.

A nurse pins the site like an app (the manifest gives its name, colours and icons) and, when the
connection drops between two wards, gets a page that says so instead of the browser's error. The
service worker caches that page and nothing else: pages carry personal data and must come fresh
from the server, so it never stores one.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control

# The brand blue of static/css/app.css (--brand) and its page background (--paper).
THEME_COLOUR = "#0b4f8a"
BACKGROUND_COLOUR = "#ffffff"
# Bumped when the service worker's cached files change, so phones drop the old copies.
OFFLINE_CACHE_VERSION = "1"


@cache_control(max_age=3600)
def manifest(request: HttpRequest) -> JsonResponse:
    """The web app manifest, in the visitor's language."""
    icons = [
        {"src": static("icons/icon-192.png"), "sizes": "192x192", "type": "image/png", "purpose": "any"},
        {"src": static("icons/icon-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "any"},
        {"src": static("icons/icon-maskable-512.png"), "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        {"src": static("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"},
    ]
    body = {
        "name": settings.SITE_NAME,
        "short_name": settings.SITE_NAME,
        "description": _("Missions de renfort pour les professionnels de santé libéraux et les établissements."),
        "lang": get_language(),
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": icons,
    }
    response = JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


@cache_control(no_cache=True)
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from the site's root so that its scope is the whole site; revalidated at each visit
    so a new version reaches phones at once."""
    context = {
        "cache_name": f"vh-offline-{OFFLINE_CACHE_VERSION}",
        "offline_url": reverse("offline"),
        "precache": [reverse("offline"), static("css/app.css"), static("icons/icon.svg")],
    }
    return render(request, "installable/service_worker.js", context, content_type="text/javascript")


def offline(request: HttpRequest) -> HttpResponse:
    """What the service worker shows when a page cannot be reached."""
    return render(request, "installable/offline.html")
