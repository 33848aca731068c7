"""The site can be added to a phone's home screen (manifest, icons) and shows its own page when the
connection is lost (a service worker that caches that page and no other)."""

from __future__ import annotations

import json

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from PIL import Image

from tests.browser import log_in
from tests.factories import make_professional, make_user

pytestmark = pytest.mark.django_db


def _static_path(url: str) -> str:
    path = finders.find(url.removeprefix("/static/"))
    assert path, f"{url} is not a static file of the project"
    return path


def test_the_manifest_names_the_site_and_its_icons_exist_at_their_sizes(client):
    response = client.get(reverse("manifest"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert (manifest["name"], manifest["display"], manifest["start_url"]) == ("Ville-Hôpital", "standalone", "/")
    assert manifest["lang"] == "fr" and "professionnels de santé" in manifest["description"]
    sizes = set()
    for icon in manifest["icons"]:
        path = _static_path(icon["src"])
        if icon["type"] == "image/png":
            with Image.open(path) as image:
                assert f"{image.width}x{image.height}" == icon["sizes"]
            sizes.add((icon["sizes"], icon["purpose"]))
    # What Chromium asks before it offers "Install": 192 and 512 px; Android also wants a maskable one.
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes


def test_the_manifest_speaks_english_to_an_english_visitor(client):
    client.cookies["django_language"] = "en"
    manifest = json.loads(client.get(reverse("manifest")).content)
    assert manifest["lang"] == "en" and "health professionals" in manifest["description"]


def test_every_page_links_the_manifest_icons_and_the_service_worker(client):
    html = client.get(reverse("account_login")).content.decode()
    for needle in ('rel="manifest"', 'rel="icon"', 'rel="apple-touch-icon"', 'name="theme-color"',
                   f'data-service-worker="{reverse("service_worker")}"'):
        assert needle in html


def test_the_service_worker_is_served_from_the_root_and_caches_only_the_offline_page(client):
    response = client.get(reverse("service_worker"))
    assert reverse("service_worker") == "/sw.js"  # its scope is the folder it is served from
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    script = response.content.decode()
    precache = json.loads(script.split("const PRECACHE = ", 1)[1].split(";", 1)[0])
    assert precache[0] == reverse("offline")
    for url in precache[1:]:
        _static_path(url)
    assert client.get(precache[0]).status_code == 200


@pytest.mark.parametrize(("language", "heading"), [("fr", "Pas de connexion"), ("en", "No connection")])
def test_the_offline_page_in_each_language(client, language, heading):
    client.cookies["django_language"] = language
    response = client.get(reverse("offline"))
    assert response.status_code == 200
    assert f"<h1>{heading}</h1>" in response.content.decode()


CACHED_PATHS = """() => caches.keys()
    .then((names) => Promise.all(names.map((name) => caches.open(name).then((cache) => cache.keys()))))
    .then((lists) => lists.flat().map((request) => new URL(request.url).pathname))"""


@pytest.mark.browser
def test_a_lost_connection_shows_the_offline_page_and_no_personal_page_is_kept(live_db, live_server, page, axe):
    nurse = make_professional(make_user("offline@example.org"))
    log_in(page, live_server.url, nurse.user.email)
    calendar = live_server.url + reverse("professionals:calendar_current")
    page.goto(calendar)
    assert page.evaluate("() => navigator.serviceWorker.ready.then((registration) => registration.active.state)") \
        in ("activating", "activated")
    assert reverse("offline") in page.evaluate(CACHED_PATHS)
    assert not [path for path in page.evaluate(CACHED_PATHS) if not path.startswith(("/static/", reverse("offline")))]
    page.context.set_offline(True)
    page.goto(calendar)
    assert page.locator("h1").inner_text() == "Pas de connexion"
    assert axe() == []
    page.context.set_offline(False)
    page.goto(calendar)
    assert page.url.startswith(calendar) and page.locator("h1").inner_text() != "Pas de connexion"
