"""Authorization matrix: every URL of the project's own apps (walked from the URL resolver, see
``world.project_routes``; the skipped ones and why are in ``world.SKIPPED``) × every role, GET, and
POST with an empty body when the view handles POST.

Roles: anonymous; professional A (owns the data: a booked mission, its contract, an offer, a
candidacy, an RCP attestation, notifications) and professional B (another region, owns none of it);
the HR member and the viewer of establishment 1 (where A is booked) and of establishment 2; ARS
agents of region 1 (establishment 1's) and region 2; platform staff. Path parameters are filled with
A's / establishment 1's / region 1's objects.

The rule each response is checked against (``POLICY`` says, per URL name pattern, who is let in):

- a role let in (``ok``) gets 200 or a redirect (302) on GET; on a POST with an empty body, 200, 302
  or 400 (a form error), or the status ``post_status`` names when the empty body itself names a
  missing object; a GET on a POST-only view is a 405;
- a role that may read the object but not act on it (``forbidden``, a viewer member; or
  ``post_forbidden`` for the POST alone) gets a 403;
- anyone else gets a 404, the same answer as for a missing object ("not yours" is "missing"); an
  anonymous visitor is sent to the login page instead (the API answers 401/403), and a GET on a
  POST-only view may be a 405 (the method check ran first: it tells nothing about the object);
- never a 500, and never the owner's data: ``SECRETS`` lists the texts only some roles may see
  (professional A's name, establishment 1's HR member's name), checked in every response.

A URL matching no rule is expected to let nobody in: its test fails until a rule says who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch

import pytest
from django.shortcuts import resolve_url
from django.test import Client

from tests.security.world import (
    HR_1_LAST_NAME,
    PRO_A_LAST_NAME,
    ROLES,
    Route,
    World,
    client_for,
    fill_kwargs,
    project_routes,
    rolled_back,
    url_of,
)

pytestmark = pytest.mark.django_db

EVERYONE = frozenset(ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
PROS = frozenset({"pro_a", "pro_b"})
MEMBERS = frozenset({"hr_1", "viewer_1", "hr_2", "viewer_2"})
SITE_1 = frozenset({"hr_1", "viewer_1"})
PRO_A_AND_SITE_1 = SITE_1 | {"pro_a"}
NOBODY = frozenset()


@dataclass(frozen=True)
class Policy:
    ok: frozenset[str]
    forbidden: frozenset[str] = NOBODY
    post_forbidden: frozenset[str] = NOBODY
    post_status: frozenset[int] = frozenset()
    why: str = ""


#: Who may use which URL: the first pattern matching ``namespace:name`` applies.
POLICY: tuple[tuple[tuple[str, ...], Policy], ...] = (
    (("home", "health", "manifest", "service_worker", "offline", "territories:*", "api:commune-search", "api:token"),
     Policy(EVERYONE, why="public")),
    (("professionals:calendar_feed", "accounts:ars_invitation", "notifications:unsubscribe"),
     Policy(EVERYONE, why="the token in the URL is the credential (a calendar app, an invitee, a mail provider)")),
    (("establishments:invitation_accept",),
     Policy(LOGGED_IN, post_forbidden=LOGGED_IN, why="token + login; accepting another address's invitation: 403")),
    (("professionals:credential_download",), Policy(PRO_A_AND_SITE_1, why="the owner, members with a mission with her")),
    (("professionals:credential_remove",), Policy(frozenset({"pro_a"}))),
    (("professionals:profile_create",), Policy(LOGGED_IN, why="anyone may become a professional")),
    (("professionals:*",), Policy(PROS, why="one's own pages")),
    (("establishments:onboarding", "establishments:shift_import_template"), Policy(LOGGED_IN)),
    (("establishments:home", "establishments:switch"),
     Policy(MEMBERS, post_status=frozenset({400, 404}), why="switch: the empty body names no establishment")),
    (("establishments:shift_share",), Policy(NOBODY, forbidden=SITE_1, why="an admin's action (1 has no admin)")),
    (("establishments:members",), Policy(SITE_1, post_forbidden=SITE_1, why="inviting is the admin's")),
    (("establishments:detail", "establishments:shift_import_template_for"), Policy(SITE_1)),
    (("establishments:*",), Policy(frozenset({"hr_1"}), forbidden={"viewer_1"}, why="writes: HR yes, viewer 403")),
    (("missions:proposal_*", "missions:mission_detail", "missions:matching_why_not_proposed", "missions:shift_take"),
     Policy(frozenset({"pro_a"}), why="B works in another region: the shift is out of B's scope")),
    (("missions:proposals", "missions:my_missions", "missions:earnings", "missions:open_shifts"), Policy(PROS)),
    (("missions:hr_board", "missions:matching_why_unfilled", "missions:hr_shift_act"), Policy(SITE_1)),
    (("missions:hr_shift_offer",), Policy(frozenset({"hr_1"}), forbidden={"viewer_1"},
                                          post_status=frozenset({302, 400, 404}),
                                          why="HR: the empty body names no professional (a form error or a 404)")),
    (("missions:hr_*",), Policy(frozenset({"hr_1"}), forbidden={"viewer_1"})),
    (("missions:contract_list",), Policy(LOGGED_IN, why="one's own contracts")),
    (("missions:contract_*",),
     Policy(PRO_A_AND_SITE_1 | {"staff"}, why="the parties and staff; an empty POST is a form error (400)")),
    (("dashboards:home",), Policy(frozenset({"ars_1", "ars_2", "staff"}))),
    (("dashboards:*",), Policy(frozenset({"ars_1", "staff"}), why="region 1's agents and platform staff")),
    (("notifications:mark_read", "api:notification-read"), Policy(frozenset({"pro_a"}))),
    (("audit:establishment*",),
     Policy(frozenset({"staff"}), why="the establishment's admins (1 has none: its HR and viewer get 404) and staff")),
    (("audit:*",), Policy(LOGGED_IN, why="one's own trail (staff: all of it)")),
    (("privacy:notice",), Policy(EVERYONE, why="public: what is kept, why, how long")),
    (("privacy:*",), Policy(LOGGED_IN, why="one's own data: the archive, the account's erasure (an empty POST: form error)")),
    (("accounts:api_token",), Policy(LOGGED_IN, why="one's own API token (an empty POST: form error, nothing revoked)")),
    (("second_factor_enrol", "mfa_*"),
     Policy(LOGGED_IN, why="one's own second factor: the enrolment page, allauth's MFA pages")),
    (("notifications:*", "api:*", "account_*", "socialaccount_*"),
     Policy(LOGGED_IN, why="one's own notifications and account")),
)
#: When no rule matches: nobody (the failure asks for a rule).
DEFAULT = Policy(NOBODY, why="no rule in POLICY: say who may use this URL")

#: The texts only these roles may ever see.
SECRETS = {PRO_A_LAST_NAME: PRO_A_AND_SITE_1 | {"staff"}, HR_1_LAST_NAME: PRO_A_AND_SITE_1 | {"staff"}}

#: Defects found and not yet fixed, by (URL name, role, method): the reason. The test still makes the
#: request and fails when it no longer misbehaves (remove the entry then), like a strict xfail.
KNOWN_DEFECTS: dict[tuple[str, str, str], str] = {}

ROUTES = project_routes()


def policy_for(name: str) -> Policy:
    return next((policy for patterns, policy in POLICY if any(fnmatch(name, p) for p in patterns)), DEFAULT)


def expected(route: Route, role: str, method: str) -> set[int | str]:
    """The statuses ``role`` may get; ``"login"`` stands for the redirect to the login page."""
    policy = policy_for(route.name)
    post_only_get = method == "GET" and route.post_only
    if role in policy.ok or role in policy.forbidden:
        if post_only_get:
            return {405}
        if role in policy.forbidden or (method == "POST" and role in policy.post_forbidden):
            return {403}  # whatever the body: a viewer's write is refused before it is read
        if method == "POST":
            return set(policy.post_status or {200, 302, 400})
        return {200, 302}
    if role == "anonymous":
        if route.name.startswith("api:"):
            return {401, 403}
        return {405, "login"} if post_only_get else {"login"}
    return {404, 405} if post_only_get else {404}


def body_text(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def check(route: Route, world: World, role: str, method: str, client: Client) -> str | None:
    """What is wrong with ``role``'s ``method`` on ``route``, or None."""
    url = url_of(route, world)
    try:
        response, _ = rolled_back(client, method, url)
    except Exception as error:  # the test client re-raises what would be a 500
        return f"{role} {method} {url}: 500, {type(error).__name__}: {str(error)[:300]}"
    want = expected(route, role, method)
    status = response.status_code
    outcome = "login" if status == 302 and response.url.startswith(resolve_url("account_login")) else status
    if outcome not in want:
        return f"{role} {method} {url}: {outcome}, expected {sorted(map(str, want))} ({policy_for(route.name).why})"
    text = body_text(response)
    for secret, allowed in SECRETS.items():
        if role not in allowed and secret in text:
            return f"{role} {method} {url}: the response shows {secret!r}, which only {sorted(allowed)} may see"
    return None


@pytest.mark.parametrize("route", ROUTES, ids=[r.name for r in ROUTES])
def test_who_gets_what(route, world):
    failures, known, fixed = [], [], []
    methods = ("GET", "POST") if route.handles_post else ("GET",)
    for role in ROLES:
        client = client_for(world, role)
        for method in methods:
            problem = check(route, world, role, method, client)
            defect = KNOWN_DEFECTS.get((route.name, role, method))
            if defect and problem:
                known.append(f"{problem} — known: {defect}")
            elif defect:
                fixed.append(f"{role} {method}: now as the policy says; remove it from KNOWN_DEFECTS ({defect})")
            elif problem:
                failures.append(problem)
    assert not failures + fixed, "\n".join(failures + fixed)
    if known:
        pytest.xfail("\n".join(known))


def test_the_secrets_are_on_the_pages_of_those_who_may_see_them(db, world):
    """The leak check means something: the owner's texts are in the pages their own people read."""
    board = next(r for r in ROUTES if r.name == "missions:hr_board")
    members = next(r for r in ROUTES if r.name == "establishments:members")
    assert PRO_A_LAST_NAME in body_text(rolled_back(client_for(world, "hr_1"), "GET", url_of(board, world))[0])
    assert HR_1_LAST_NAME in body_text(rolled_back(client_for(world, "viewer_1"), "GET", url_of(members, world))[0])


def test_the_walk_covers_the_project():
    """The resolver walk finds the project's URLs (a broken walk would make the matrix pass empty),
    and every path keyword of every walked URL has an object to stand for."""
    names = {r.name for r in ROUTES}
    assert {"missions:contract_detail", "establishments:shift_create", "dashboards:export", "api:me"} <= names
    assert not any(n.startswith("admin:") for n in names)
    assert all(n.rpartition(":")[2] for n in names), "a URL of the project without a name cannot be checked"
    assert len(ROUTES) >= 60


def test_every_path_keyword_can_be_filled(db, world):
    missing = []
    for route in ROUTES:
        try:
            fill_kwargs(route, world)
        except LookupError as error:
            missing.append(str(error))
    assert not missing, "\n".join(missing)


def test_a_new_keyword_fails_the_run(db, world):
    """A URL added with a keyword the world cannot fill is reported, not silently skipped; one no rule
    of POLICY names lets nobody in until a rule says otherwise."""
    new = Route("billing:invoice_detail", "factures/<int:pk>/", ("pk",), view=None)
    with pytest.raises(LookupError, match=r"invoice_detail.*'pk'"):
        fill_kwargs(new, world)
    assert policy_for(new.name) is DEFAULT and not DEFAULT.ok and not DEFAULT.forbidden
