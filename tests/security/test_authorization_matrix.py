"""Authorization matrix: every URL of the project's own apps (walked from the URL resolver, see
``world.project_routes``; the skipped ones and why are in ``world.SKIPPED``) × every role, GET, and
POST with an empty body when the view handles POST.

Roles: anonymous; professional A (owns the data: a booked mission, its contract, an offer, a
candidacy, an RCP attestation, notifications) and professional B (another region, owns none of it);
the HR member and the viewer of establishment 1 (where A is booked) and of establishment 2; ARS
agents of region 1 (establishment 1's) and region 2; platform staff. Path parameters are filled with
A's / establishment 1's / region 1's objects.

The rule each response is checked against (``POLICY``, in ``policy.py``, says per URL name pattern
who is let in):

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

import pytest
from django.shortcuts import resolve_url
from django.test import Client

from tests.security.policy import DEFAULT, PRO_A_AND_SITE_1, policy_for
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

#: The texts only these roles may ever see.
SECRETS = {PRO_A_LAST_NAME: PRO_A_AND_SITE_1 | {"staff"}, HR_1_LAST_NAME: PRO_A_AND_SITE_1 | {"staff"}}

#: Defects found and not yet fixed, by (URL name, role, method): the reason. The test still makes the
#: request and fails when it no longer misbehaves (remove the entry then), like a strict xfail.
KNOWN_DEFECTS: dict[tuple[str, str, str], str] = {}

ROUTES = project_routes()


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
