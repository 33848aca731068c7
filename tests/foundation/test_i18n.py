"""English is available everywhere: the catalogues are complete, compiled, and the pages switch language.

The source strings are French; ``locale/en`` holds the project catalogue (apps with their own
``<app>/locale/en``, such as notifications, keep theirs). The compiled ``.mo`` files are committed,
so these tests also check that each ``.mo`` says what its ``.po`` says (a forgotten
``compilemessages`` fails here).
"""

from __future__ import annotations

import gettext as gnu_gettext
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from accounts.models import User
from tests.factories import make_ars_agent, make_establishment, make_professional, make_unit, make_user

BASE_DIR = Path(settings.BASE_DIR)


def catalogues() -> list[Path]:
    """Every English catalogue of the project (the project's and the apps' own), outside the venv."""
    found = sorted(BASE_DIR.glob("locale/en/LC_MESSAGES/django.po"))
    found += sorted(BASE_DIR.glob("*/locale/en/LC_MESSAGES/django.po"))
    return [p for p in found if ".venv" not in p.parts]


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgstrs: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _ESCAPES.get(m.group(1), m.group(0)), text)


def parse_po(path: Path) -> list[Entry]:
    """A small PO reader (polib is not a dependency): entries with their flags and translations."""
    entries: list[Entry] = []
    current = Entry()
    target: str | None = None

    def flush() -> None:
        nonlocal current, target
        if target is not None:
            entries.append(current)
        current, target = Entry(), None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            current.obsolete = True
            continue
        if line.startswith("#,"):
            if target is not None:
                flush()
            current.flags |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            if target is not None:
                flush()
            continue
        match = re.match(r'^(msgid_plural|msgid|msgstr(?:\[\d+\])?|msgctxt) "(.*)"$', line)
        if match:
            keyword, value = match.group(1), _unquote(match.group(2))
            if keyword == "msgid" and target is not None and target != "msgctxt":
                flush()
            target = keyword
            if keyword == "msgid":
                current.msgid = value
            elif keyword == "msgid_plural":
                current.msgid_plural = value
            elif keyword.startswith("msgstr"):
                current.msgstrs.append(value)
            continue
        # a continuation line: "..." appended to the last keyword
        value = _unquote(line[1:-1])
        if target == "msgid":
            current.msgid += value
        elif target == "msgid_plural":
            current.msgid_plural = (current.msgid_plural or "") + value
        elif target and target.startswith("msgstr"):
            current.msgstrs[-1] += value
    flush()
    return [e for e in entries if not e.obsolete]


# --- the catalogues ---------------------------------------------------------------------------


def test_there_is_a_project_catalogue_and_its_compiled_form():
    po = BASE_DIR / "locale/en/LC_MESSAGES/django.po"
    assert po.exists(), "run makemessages -l en"
    assert po.with_suffix(".mo").exists(), "run compilemessages: the .mo ships in the repository"
    assert len(parse_po(po)) > 500  # the whole project, not a sample


@pytest.mark.parametrize("po", catalogues(), ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_catalogue_has_no_untranslated_or_fuzzy_entry(po: Path):
    entries = [e for e in parse_po(po) if e.msgid]  # the header has an empty msgid
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    untranslated = [e.msgid for e in entries if not e.msgstrs or not all(e.msgstrs)]
    assert not fuzzy, f"fuzzy entries in {po}: {fuzzy[:10]}"
    assert not untranslated, f"untranslated entries in {po}: {untranslated[:10]}"
    for e in entries:
        if e.msgid_plural is not None:
            assert len(e.msgstrs) == 2, f"English has two plural forms: {e.msgid!r}"


@pytest.mark.parametrize("po", catalogues(), ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_placeholders_are_kept(po: Path):
    placeholder = re.compile(r"%\(\w+\)[sdif]|%%|%[sd]")
    for e in parse_po(po):
        if not e.msgid:
            continue
        sources = [e.msgid] if e.msgid_plural is None else [e.msgid, e.msgid_plural]
        for source, translated in zip(sources, e.msgstrs, strict=False):
            assert set(placeholder.findall(source)) == set(placeholder.findall(translated)), (source, translated)


@pytest.mark.parametrize("po", catalogues(), ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_msgfmt_statistics_and_checks(po: Path):
    msgfmt = shutil.which("msgfmt")
    if msgfmt is None:
        pytest.skip("GNU gettext (msgfmt) is not installed")
    result = subprocess.run(
        [msgfmt, "--check", "--statistics", "-o", "/dev/null", str(po)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr
    assert "translated message" in result.stderr


@pytest.mark.parametrize("po", catalogues(), ids=lambda p: str(p.relative_to(BASE_DIR)))
def test_committed_mo_matches_its_po(po: Path):
    """The .mo is what Django reads: it must say what the .po says (compilemessages was run)."""
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run compilemessages"
    with mo.open("rb") as handle:
        compiled = gnu_gettext.GNUTranslations(handle)
    stale = []
    for e in parse_po(po):
        if not e.msgid:
            continue
        if e.msgid_plural is None:
            if compiled.gettext(e.msgid) != e.msgstrs[0]:
                stale.append(e.msgid)
        elif compiled.ngettext(e.msgid, e.msgid_plural, 1) != e.msgstrs[0] or compiled.ngettext(
            e.msgid, e.msgid_plural, 2
        ) != e.msgstrs[1]:
            stale.append(e.msgid)
    assert not stale, f"{mo} is older than its .po (run compilemessages): {stale[:5]}"


TEMPLATE_LITERAL = re.compile(r"""\{%\s*(?:translate|trans)\s+(?P<q>["'])(?P<text>.*?)(?P=q)(?P<rest>[^%]*)%\}""")


def test_every_translate_tag_in_the_templates_is_in_a_catalogue():
    """A string wrapped in the templates since the last makemessages shows up here by name."""
    known: set[str] = set()
    for po in catalogues():
        known |= {e.msgid for e in parse_po(po) if e.msgid and e.msgstrs and all(e.msgstrs)}
    missing = []
    template_dirs = [BASE_DIR / "templates", *BASE_DIR.glob("*/templates")]
    for directory in template_dirs:
        if ".venv" in directory.parts:
            continue
        for template in sorted(directory.rglob("*.html")) + sorted(directory.rglob("*.txt")):
            for match in TEMPLATE_LITERAL.finditer(template.read_text(encoding="utf-8")):
                if "context" in match["rest"] or "noop" in match["rest"]:
                    continue
                if match["text"] not in known:
                    missing.append(f"{template.relative_to(BASE_DIR)}: {match['text']!r}")
    assert not missing, "run makemessages -l en and translate:\n" + "\n".join(missing[:20])


# --- key strings through Django's translation machinery ---------------------------------------


@pytest.mark.parametrize(
    ("french", "english"),
    [
        ("Accueil", "Home"),  # landing page title
        ("Des renforts libéraux pour les hôpitaux, sans course de vitesse",
         "Freelance reinforcements for hospitals, without the race to click first"),
        ("Se connecter", "Sign in"),  # header navigation on the login page
        ("Créer un compte", "Create an account"),
        ("Mon espace", "My space"),  # professional home title
        ("Bonjour %(name)s", "Hello %(name)s"),
        ("Vacations", "Shifts"),  # shift board title
        ("Tableau de bord — %(name)s", "Dashboard — %(name)s"),  # ARS dashboard title
        ("Tableau de bord ARS — %(name)s", "ARS dashboard — %(name)s"),
    ],
)
def test_key_strings_in_english(french, english):
    with translation.override("en"):
        assert translation.gettext(french) == english
    with translation.override("fr"):
        assert translation.gettext(french) == french


def test_plural_forms_in_english():
    with translation.override("en"):
        one = translation.ngettext("%(n)s créneau déclaré", "%(n)s créneaux déclarés", 1) % {"n": 1}
        many = translation.ngettext("%(n)s créneau déclaré", "%(n)s créneaux déclarés", 3) % {"n": 3}
    assert (one, many) == ("1 slot declared", "3 slots declared")


# --- pages --------------------------------------------------------------------------------------

LANDING_EN = "Freelance reinforcements for hospitals, without the race to click first"
LANDING_FR = "Des renforts libéraux pour les hôpitaux, sans course de vitesse"


@pytest.mark.django_db
def test_landing_follows_accept_language(client):
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="en">' in english
    assert LANDING_EN in english and "Sign in" in english and "Create an account" in english
    assert LANDING_FR not in english and "Se connecter" not in english
    french = client.get("/", HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9").content.decode()
    assert '<html lang="fr">' in french and LANDING_FR in french


@pytest.mark.django_db
def test_language_switcher_switches_the_landing_page(client):
    landing = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert f'action="{reverse("set_language")}"' in landing and 'name="language"' in landing
    assert '<option value="en"' in landing

    response = client.post(reverse("set_language"), {"language": "en", "next": "/"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 302 and response.url == "/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"

    # The choice sticks even though the browser still asks for French.
    after = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="en">' in after and LANDING_EN in after
    assert '<option value="en" selected>' in after

    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert LANDING_FR in client.get("/").content.decode()


@pytest.mark.django_db
def test_login_page_navigation_in_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("account_login")).content.decode()
    assert '<html lang="en">' in page
    assert "Main navigation" in page and "Skip to content" in page and "Create an account" in page
    assert "Navigation principale" not in page and "Aller au contenu" not in page


def _user(email: str) -> User:
    return make_user(email, first_name="Ada", last_name="Lovelace")


@pytest.mark.django_db
def test_professional_home_in_english(client):
    user = _user("pro-en@example.org")
    make_professional(user)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("professionals:home")).content.decode()
    assert "<title>My space · Ville-Hôpital</title>" in page
    assert "Hello Ada Lovelace" in page and "Sign out" in page
    assert "Bonjour" not in page and "Se déconnecter" not in page


@pytest.mark.django_db
def test_shift_board_in_english(client):
    user = _user("rh-en@example.org")
    establishment = make_establishment(admin=user, name="CH Test")
    make_unit(establishment)
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("missions:hr_board", args=[establishment.pk])).content.decode()
    assert "<h1>Shifts — CH Test</h1>" in page
    assert "Filter shifts" in page and "Post a shift" in page
    assert "Filtrer les vacations" not in page and "Publier une vacation" not in page


@pytest.mark.django_db
def test_ars_dashboard_in_english(client):
    user = make_ars_agent("76", "ars-en@example.org", first_name="Ada", last_name="Lovelace")
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    page = client.get(reverse("dashboards:overview", args=["76"])).content.decode()
    assert "<h1>Dashboard — Occitanie</h1>" in page
    assert "Overview" in page and "Shortages" in page and "Filters" in page
    assert "Vue d'ensemble" not in page and "Pénuries" not in page
