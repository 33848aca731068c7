"""axe-core on every page of the site at 390 px: no serious or critical violation (issue #18).

The pages are not listed here: they are the URLs of the resolver (``world.every_route``, the walk
of the security tests), their path parameters filled with the security world's objects
(``world.build_world``, ``world.fill_kwargs``). Each is read by the first role of ``READERS`` that
``POLICY`` (``tests/security/policy.py``) lets in and whose answer is a page (not a redirect, not a
refusal). The pages the security walk skips (allauth's sign-in, sign-up, reset and MFA pages, the
API docs) are under no rule and show nobody's data: a visitor, a professional and an HR member with
a second factor try them, in this order. The error pages (400, 403, 404) are read too.

What is not a page is known by its answer, not listed: a file (PDF, CSV, iCalendar, JSON, ZIP,
plain text: any type but HTML) or a POST-only view. A URL whose every reader is redirected or
refused must be in ``NO_PAGE`` with the reason, and one no rule of POLICY lets anyone read fails
the run: a new page is read from the day it is added, or the run says why it cannot be.
``NOT_WALKED`` is what is left out on purpose.

Kept fast for every CI run: one test per group of roles (four), each builds the world once, opens
one browser context per role (signed in through the form, axe-core loaded in every page it opens)
and reads its pages in a loop: a request first (the status and type, nothing rendered), then the
page and axe-core.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatch
from itertools import pairwise
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve
from playwright.sync_api import Browser, BrowserContext, Page

from tests.browser import axe_in_every_page, axe_violations, log_in
from tests.clock import browser_follows
from tests.security.policy import policy_for
from tests.security.world import Route, World, build_world, every_route, url_of

WIDTH, HEIGHT = 390, 844

#: Left out of the walk, and why (matched against ``namespace:name``).
NOT_WALKED = {
    "admin:*": "Django's admin: the staff's back office, Django's own templates (tests/integration/test_admin.py)",
    "mfa_edit_webauthn": "a passkey's own page, by its id: a passkey is only made by a browser's authenticator "
                         "(tests/foundation/test_browser_mfa.py enrols one through Chromium's virtual authenticator)",
    "mfa_remove_webauthn": "the same, to remove a passkey",
    "webhooks:*": "an establishment admin's pages, and no role of the walk administers one "
                  "(tests/webhooks/test_browser.py reads them with axe as establishment 1's admin)",
    "api:webhook-*": "the same pages' API, for the same admins only (tests/webhooks/test_api.py)",
    "establishments:integration_token*": "an establishment admin's pages, and no role of the walk administers one "
                                         "(tests/establishments/test_integration_tokens_browser.py reads them with axe "
                                         "as an establishment's admin)",
    "api:integration-token*": "the same pages' API, for the same admins only (tests/establishments/test_integration_tokens.py)",
}

#: Pages only a journey reaches (read on the way, in every group where one passes through them).
ON_THE_WAY = {
    "mfa_authenticate": "the sign-in's second step, between the password and the account (a role with a "
                        "second factor signing in: HR, ARS, staff)",
}

#: URLs with no page to read here, and why: each answers every reader with a redirect or a refusal.
NO_PAGE = {
    "professionals:calendar_current": "this month's calendar: a redirect to its month's page",
    "establishments:home": "the member's establishment: a redirect to its page (or to the choice of one)",
    "set_language": "Django's language switch: a redirect back (the switch is a POST)",
    "account_set_password": "for whoever has a password (everyone here): to the password change page",
    "account_request_reauthentication_code": "re-authentication by an e-mailed code: off (allauth answers 403)",
    "account_confirm_reauthentication_code": "the same, its second step",
    "account_confirm_login_code": "sign-in by an e-mailed code: off (a redirect to the sign-in page)",
    "mfa_reauthenticate_webauthn": "re-authentication with a passkey: without one, a redirect to the other ways",
    "mfa_login_webauthn": "the passkey sign-in's answer to the browser (a POST): a GET is sent back",
    "socialaccount_signup": "the sign-up after Pro Santé Connect: only on the way back from the provider",
    "pro_sante_connect_login": "Pro Santé Connect is not configured in tests (no client): 404",
    "pro_sante_connect_callback": "the same, the provider's return",
    "accounts/social/login/cancelled/": "allauth's legacy address: a permanent redirect to the current one",
    "accounts/social/login/error/": "the same",
    "accounts/social/signup/": "the same",
    "accounts/social/connections/": "the same",
}

#: The roles tried for a page, in this order: the first one ``POLICY`` lets in (a role it forbids
#: gets the 403 page) whose answer is neither a redirect nor a refusal reads it.
READERS = ("anonymous", "pro_a", "hr_1", "ars_1", "staff", "viewer_1", "pro_b", "hr_2", "viewer_2", "ars_2")
#: Who tries the pages no rule of POLICY governs (allauth's, the API docs): a visitor, someone
#: signed in, someone signed in with a second factor.
ANYONE = ("anonymous", "pro_a", "hr_1")

#: One test per group, with a browser context for each of its roles; a page belongs to the group of
#: its first reader (a later reader, tried when the first is redirected, gets a context there too).
GROUPS = {
    "signed_out": ("anonymous",),
    "professional": ("pro_a", "pro_b"),
    "establishment": ("hr_1", "viewer_1", "hr_2", "viewer_2"),
    "ars_and_staff": ("ars_1", "ars_2", "staff"),
}

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def not_walked(name: str) -> str | None:
    return next((why for pattern, why in NOT_WALKED.items() if fnmatch(name, pattern)), None)


def readers_of(route: Route, security_skip: str | None) -> tuple[str, ...]:
    """The roles that may read ``route``, in the order they are tried."""
    if security_skip is not None:
        return ANYONE
    policy = policy_for(route.name)
    return tuple(role for role in READERS if role in policy.ok and role not in policy.forbidden)


@dataclass(frozen=True)
class Walked:
    route: Route
    readers: tuple[str, ...]

    @property
    def group(self) -> str | None:
        return next((g for g, roles in GROUPS.items() if self.readers and self.readers[0] in roles), None)


def walked_routes(routes: list[tuple[Route, str | None]] | None = None) -> list[Walked]:
    """Every URL of the site that may answer a page to a GET: all but ``NOT_WALKED`` and POST-only views."""
    return [Walked(route, readers_of(route, skip)) for route, skip in (every_route() if routes is None else routes)
            if not_walked(route.name) is None and not route.post_only]


WALKED = walked_routes()


def label(route: Route) -> str:
    """Its name, or its path when it has none."""
    return route.name if route.name.rpartition(":")[2] else route.route


def path_of(route: Route, world: World) -> str:
    if route.name.rpartition(":")[2]:
        return url_of(route, world)
    return "/" + route.route  # an unnamed URL (allauth's legacy redirects): no keyword, its path as it is


def route_name_at(url: str) -> str | None:
    try:
        return resolve(urlsplit(url).path).view_name
    except Resolver404:
        return None


@dataclass
class Walk:
    """The browser contexts of the roles, opened and signed in at their first page, and what was found."""

    browser: Browser
    base: str
    world: World
    context_args: dict
    pages: dict[str, Page] = field(default_factory=dict)
    read: dict[str, str] = field(default_factory=dict)  # URL name → the role that read its page
    files: dict[str, str] = field(default_factory=dict)  # URL name → the type of its answer
    no_page: dict[str, str] = field(default_factory=dict)  # URL name → its readers' answers
    problems: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # what the Content-Security-Policy blocked
    fetched: list[str] = field(default_factory=list)  # what the page's scripts asked for since it opened

    def page_for(self, role: str) -> Page:
        if role not in self.pages:
            context: BrowserContext = self.browser.new_context(
                **{**self.context_args, "viewport": {"width": WIDTH, "height": HEIGHT}})
            browser_follows(context)  # its own contexts: the run's clock, as the ``browser_clock`` fixture does
            axe_in_every_page(context)
            page = context.new_page()
            page.on("request", lambda r: self.fetched.append(r.url) if r.resource_type in ("fetch", "xhr") else None)
            page.on("console", lambda m, role=role: self.blocked.append(f"{role} {page.url}: {m.text}")
                    if "Content Security Policy" in m.text else None)
            user = self.world.users[role]
            if user is not None:
                log_in(page, self.base, user.email,
                       at_second_step=lambda page, role=role: self.examine("mfa_authenticate", role, page))
            self.pages[role] = page
        return self.pages[role]

    def close(self) -> None:
        for page in self.pages.values():
            page.context.close()

    def visit(self, walked: Walked) -> None:
        """The first reader whose answer is a page reads it; a file or a server error ends the search."""
        route, name = walked.route, label(walked.route)
        url = self.base + path_of(route, self.world)
        answers = []
        for role in walked.readers:
            page = self.page_for(role)
            response = page.context.request.get(url, max_redirects=0)
            status, target = response.status, response.headers.get("location", "")
            kind = response.headers.get("content-type", "").split(";")[0].strip()
            response.dispose()
            if status in REDIRECT_STATUSES and route_name_at(target) == route.name:
                self.check(name, role, url)  # its own page at another address (a reset link's form)
                return
            if status == 200 and kind != "text/html":
                self.files[name] = kind
                return
            if status in (200, 401) and kind == "text/html":  # 401: allauth's "sign-in failed" page
                self.check(name, role, url, status)
                return
            answers.append(f"{role}: {status}" + (f" to {target}" if target else ""))
            if status >= 500:
                self.problems.append(f"{name} ({url}): {answers[-1]}")
                return
        self.no_page[name] = "; ".join(answers) or "no reader"

    def check(self, name: str, role: str, url: str, status: int = 200) -> None:
        """Open ``url`` as ``role`` and run axe-core on it."""
        page = self.page_for(role)
        self.fetched.clear()
        response = page.goto(url)
        if self.fetched:  # a page its script draws from what it fetches (the API docs): once all came
            page.wait_for_load_state("networkidle")
        if response is None or response.status != status or route_name_at(page.url) != route_name_at(url):
            self.problems.append(f"{name} as {role}: {url} answered {response and response.status} at {page.url}")
            return
        self.examine(name, role, page)

    def examine(self, name: str, role: str, page: Page) -> None:
        """axe-core on the page shown, and no heading that repeats the one just above it
        (« Mes contrats » over « Mes contrats »: a screen reader's outline says it twice)."""
        self.read.setdefault(name, role)
        headings = page.eval_on_selector_all("h1, h2, h3", "els => els.map(e => e.innerText.trim())")
        self.problems += [f"{name} as {role} ({urlsplit(page.url).path}): the heading « {text} » twice in a row"
                          for text, following in pairwise(headings) if text and text == following]
        for violation in axe_violations(page):
            nodes = ", ".join(" ".join(map(str, n["target"])) for n in violation["nodes"][:4])
            nodes += f" (first: {violation['nodes'][0]['html'][:160]})"
            self.violations.append(f"{name} as {role} ({urlsplit(page.url).path}): {violation['id']} "
                                   f"[{violation['impact']}] {violation['help']} — {len(violation['nodes'])}× {nodes}")


def error_pages(group: str, world: World) -> list[tuple[str, str, str, int]]:
    """(what, role, path, status) of the error pages read in ``group``'s test."""
    if group == "signed_out":
        return [("404 page", "anonymous", "/cette-adresse-n-existe-pas/", 404),
                ("400 page (bad input)", "anonymous", "/?q=%01", 400)]
    if group == "establishment":
        # A role POLICY lets read but not act: the 403 page.
        walked = next(w for w in WALKED if "viewer_1" in policy_for(w.route.name).forbidden)
        return [("403 page", "viewer_1", url_of(walked.route, world), 403)]
    return []


@pytest.mark.browser
@pytest.mark.parametrize("group", GROUPS)
def test_axe_finds_nothing_serious_on_any_page(group, browser, browser_context_args, live_server, live_db):
    world = build_world()
    walk = Walk(browser, live_server.url, world, browser_context_args)
    mine = [w for w in WALKED if w.group == group and w.route.name not in ON_THE_WAY]
    try:
        for walked in mine:
            walk.visit(walked)
        for what, role, path, status in error_pages(group, world):
            walk.check(what, role, live_server.url + path, status)
    finally:
        walk.close()

    names = {label(w.route) for w in mine}
    stale = [f"{n}: answered a page or a file; remove it from NO_PAGE" for n in names & set(NO_PAGE) - set(walk.no_page)]
    unlisted = [f"{n}: no reader got a page ({answers}); give a reader access in the world, "
                "else say why there is none in NO_PAGE" for n, answers in walk.no_page.items() if n not in NO_PAGE]
    failures = walk.problems + stale + unlisted
    if walk.blocked:
        failures += ["the Content-Security-Policy blocked:", *walk.blocked]
    if walk.violations:
        failures += [f"{len(walk.violations)} serious or critical violations:", *walk.violations]
    assert not failures, "\n".join(failures)
    # Half the group's pages at least were read (a URL answering a file, the API's JSON, is no page).
    assert len(walk.read) >= (len(mine) - len(walk.files)) // 2, f"{group}: only {sorted(walk.read)} read"
    if group == "establishment":  # HR signs in with the code of the app
        assert "mfa_authenticate" in walk.read


def test_every_page_has_a_reader():
    """A URL that no rule of POLICY lets anyone read is one the walk cannot open: it fails here
    (and in the authorization matrix) until a rule says who may read it."""
    unreadable = [w.route.name for w in WALKED if w.group is None]
    assert not unreadable, f"no role may read {unreadable}: add a rule to POLICY (tests/security/policy.py)"


def test_the_walk_covers_the_site():
    names = {w.route.name for w in WALKED}
    assert {"home", "account_login", "account_signup", "account_reset_password", "mfa_authenticate", "api-docs",
            "missions:contract_detail", "establishments:shift_create", "dashboards:overview", "privacy:notice"} <= names
    assert not any(n.startswith("admin:") for n in names)
    assert len(WALKED) >= 100
    every = {route.name for route, _ in every_route()}
    assert all(any(fnmatch(n, p) for n in every) for p in NOT_WALKED), "a NOT_WALKED entry matches no URL"
    assert set(NO_PAGE) <= {label(w.route) for w in WALKED}, "a NO_PAGE entry names no walked URL"


def test_a_new_page_is_walked_or_fails_the_run():
    """A new URL is read by the roles its rule lets in; without a rule, nobody may read it."""
    ruled = Route("missions:contract_history", "missions/contrats/<int:pk>/historique/", ("pk",), view=None)
    unruled = Route("billing:invoice_list", "factures/", (), view=None)
    assert readers_of(ruled, None)[:1] == ("pro_a",)
    assert Walked(unruled, readers_of(unruled, None)).group is None
