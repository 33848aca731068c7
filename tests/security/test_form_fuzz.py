"""Form fuzz: every URL whose view handles POST (the same resolver walk as the authorization matrix)
receives malformed values in every field its form shows, as the role the matrix lets in.

The fields are read from the rendered pages: the page itself for a view that answers GET, else the
forms of the other pages whose ``action`` is this URL (the accept button of the proposals page…);
an API view's are its serializer's. Each form gets, in one request per value, every field set to an
empty string, 10,000 characters, a NUL byte, ``-1``, ``99999999999999999999``, ``9999-12-31``,
``abc``, two values at once and an unknown choice, then a few seeded mixes where choice fields keep
a valid option and the others get a malformed value.

Whatever is sent: never a 500; a NUL byte is refused by the input-hygiene middleware with a 400
naming the field; a request that is not a redirect (the view refused it: 200/400/403/404 with the
form again) wrote no row in any table of the project's models, but the audit rows that record a
refusal on purpose (``REFUSALS_RECORDED``). Each request runs in a savepoint
rolled back after it, so each one meets the same world.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from fnmatch import fnmatch
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from accounts.services_audit import LOGIN_FAILED
from missions.contracts.services import SIGN_ATTEMPT_FAILED
from tests.security.policy import policy_for
from tests.security.world import Route, Writes, client_for, project_routes, rolled_back, url_of
from ville_hopital.models import AuditEvent

pytestmark = pytest.mark.django_db

MALFORMED: dict[str, str | list[str]] = {
    "empty": "",
    "long": "x" * 10_000,
    "nul": "a\x00b",
    "minus_one": "-1",
    "huge": "99999999999999999999",
    "far_date": "9999-12-31",
    "abc": "abc",
    "two_values": ["1", "2"],
    "unknown_choice": "__no_such_choice__",
}
SEEDED_MIXES = 2
#: Refusals that are audited on purpose (the only rows a refused request may write).
REFUSALS_RECORDED = {
    SIGN_ATTEMPT_FAILED: "a wrong signing password is kept: the attempts limit counts them",
    LOGIN_FAILED: "a refused sign-in (an API token asked with a wrong password) is kept in the audit trail",
}
#: Views whose success is a page (200), not a redirect: a 200 there may have written.
SUCCESS_IS_A_PAGE = {
    "notifications:unsubscribe": "the signed link is the credential; the one-click POST (RFC 8058) answers "
                                 "the confirmation page, whatever the body",
    "api:*": "the API answers 200 with the result",
}
#: Who posts, in this order of preference among the roles ``POLICY`` lets in (its POST not a 403);
#: establishment 1's admin when none is (an admin's action: sharing a shift, inviting a member).
FUZZERS = ("pro_a", "hr_1", "viewer_1", "ars_1", "staff", "pro_b", "hr_2")

ROUTES = project_routes()
POST_ROUTES = [r for r in ROUTES if r.handles_post]
#: Defects the fuzz found and that are not fixed yet, by URL name: strict xfails (a fix turns them red).
KNOWN_DEFECTS: dict[str, str] = {}
GET_ROUTES = [r for r in ROUTES if not r.post_only]


#: Who posts where the first role let in is not who fills the form in.
FUZZ_AS = {"professionals:profile_create": "ars_1"}  # no profile yet (a professional is sent to theirs)


def fuzzer_for(route: Route) -> str:
    policy = policy_for(route.name)
    if route.name in FUZZ_AS:
        return FUZZ_AS[route.name]
    return next((role for role in FUZZERS if role in policy.ok and role not in policy.post_forbidden), "admin_1")


@dataclass
class Form:
    action: str
    fields: dict[str, list[str]] = field(default_factory=dict)  # name → the valid options shown (choices)
    choice_fields: set[str] = field(default_factory=set)


class _FormParser(HTMLParser):
    """The POST forms of a page: their action and the names (and options) of their controls."""

    def __init__(self, page_url: str) -> None:
        super().__init__()
        self.page_url, self.forms, self._form, self._select = page_url, [], None, None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            if a.get("method", "get").lower() == "post":
                self._form = Form(urlsplit(urljoin(self.page_url, a.get("action", ""))).path)
                self.forms.append(self._form)
            else:
                self._form = None
        elif self._form is not None and tag in ("input", "select", "textarea", "button") and a.get("name"):
            name = a["name"]
            if name == "csrfmiddlewaretoken":
                return
            options = self._form.fields.setdefault(name, [])
            kind = a.get("type", "").lower()
            if tag == "select" or kind in ("radio", "checkbox", "submit") or tag == "button":
                self._form.choice_fields.add(name)
                if a.get("value") is not None and tag != "select":
                    options.append(a.get("value", ""))
            self._select = name if tag == "select" else None
        elif tag == "option" and self._form is not None and self._select and a.get("value"):
            self._form.fields[self._select].append(a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


@pytest.fixture(scope="module")
def forms_by_action(world) -> dict[str, Form]:
    """Every POST form the pages show to the role that uses them, by the path it posts to."""
    found: dict[str, Form] = {}
    pages = []
    for route in GET_ROUTES:
        url = url_of(route, world)
        for role in sorted(crawlers_for(route)):
            response, _ = rolled_back(client_for(world, role), "GET", url)
            if response.status_code == 200 and "html" in response.get("Content-Type", ""):
                pages.append((url, response.content.decode("utf-8", "replace")))
    for url, html in pages:
        parser = _FormParser(url)
        parser.feed(html)
        for form in parser.forms:
            known = found.setdefault(form.action, Form(form.action))
            for name, options in form.fields.items():
                known.fields.setdefault(name, []).extend(options)
            known.choice_fields |= form.choice_fields
    return found


def crawlers_for(route: Route) -> set[str]:
    """Who reads a page for its forms: the fuzzer, and the professional, HR member and admin it lets in
    (a contract's page shows the professional one form and HR another)."""
    ok = policy_for(route.name).ok
    return {fuzzer_for(route)} | {role for role in ("pro_a", "hr_1") if role in ok} | ({"admin_1"} if "hr_1" in ok else set())


def fields_of(route: Route, url: str, forms: dict[str, Form]) -> Form:
    cls = getattr(route.view, "cls", None)
    serializer = getattr(cls, "serializer_class", None)
    if serializer is not None:
        return Form(url, {name: [] for name, f in serializer().fields.items() if not f.read_only})
    return forms.get(url, Form(url))


def bodies(form: Form, seed: str) -> list[tuple[str, dict]]:
    """(label, body): one per malformed value with every field set to it, then seeded mixes."""
    names = list(form.fields)
    out = [(label, dict.fromkeys(names, value)) for label, value in MALFORMED.items()]
    rng = random.Random(seed)
    for n in range(SEEDED_MIXES):
        body = {}
        for name in names:
            options = [o for o in form.fields[name] if o]
            keep_valid = name in form.choice_fields and options and rng.random() < 0.5
            body[name] = rng.choice(options) if keep_valid else rng.choice(list(MALFORMED.values()))
        out.append((f"mix{n}", body))
    return out


def problem(route: Route, label: str, body: dict, response, writes: Writes) -> str | None:
    status = response.status_code
    if label == "nul" and body:
        first = next(iter(body))
        if status != 400 or first not in response.content.decode("utf-8", "replace"):
            return f"{label}: {status}, expected 400 naming {first!r}"
        return None
    if status >= 500:
        return f"{label}: {status}"
    success_is_a_page = any(fnmatch(route.name, pattern) for pattern in SUCCESS_IS_A_PAGE) and status == 200
    if status not in (301, 302, 303) and not success_is_a_page:
        audit_table = AuditEvent._meta.db_table
        recorded_refusals = set(writes.audited) <= set(REFUSALS_RECORDED)
        changed = {t: n for t, n in writes.rows.items() if not (t == audit_table and recorded_refusals)}
        if changed:
            return f"{label}: refused ({status}) yet rows changed: {changed} (audited: {writes.audited})"
    return None


@pytest.mark.parametrize("route", [
    pytest.param(r, id=r.name, marks=[pytest.mark.xfail(strict=True, raises=AssertionError, reason=KNOWN_DEFECTS[r.name])]
                 if r.name in KNOWN_DEFECTS else [])
    for r in POST_ROUTES
])
def test_malformed_posts(route, world, forms_by_action):
    url = url_of(route, world)
    role = fuzzer_for(route)
    client = client_for(world, role)
    form = fields_of(route, url, forms_by_action)
    failures = []
    for label, body in bodies(form, seed=route.name):
        try:
            response, writes = rolled_back(client, "POST", url, body, count_rows=True)
        except Exception as error:  # the test client re-raises what a 500 would hide
            failures.append(f"{label}: raised {type(error).__name__}: {str(error)[:300]}")
            continue
        if (wrong := problem(route, label, body, response, writes)) is not None:
            failures.append(wrong)
    assert not failures, f"{role} POST {url} with fields {sorted(form.fields)}:\n" + "\n".join(failures)


def test_the_forms_are_found(world, forms_by_action):
    """The fuzz reaches real fields: the pages' forms are parsed (a broken parser would post nothing)."""
    shift_form = forms_by_action[url_of(next(r for r in ROUTES if r.name == "establishments:shift_create"), world)]
    assert {"unit", "profession", "day", "pay"} <= set(shift_form.fields)
    assert "60" in shift_form.fields["profession"] and "profession" in shift_form.choice_fields
    for name, field_name in (("missions:proposal_decline", "reason"), ("missions:contract_new_version", "version-reason"),
                             ("missions:hr_shift_raise", "pay"), ("missions:hr_mission_complete", "outcome"), ("establishments:members", "email")):
        route = next(r for r in ROUTES if r.name == name)
        assert field_name in forms_by_action[url_of(route, world)].fields, name
