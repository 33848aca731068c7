"""Who may use which operation of the API, read from the OpenAPI document (``/api/schema/``), not
from a hand-kept list of URLs: the matrix (``test_api_matrix.py``) and schemathesis
(``tests/integration/test_api_schemathesis.py``) walk every operation of the schema, so an endpoint
is checked from the day it lands, or the run names it and asks for a rule here.

A path's *shape* is its template with the parameters blanked (``/api/v1/shifts/{}/cancel/``).

- ``PATH_OBJECTS``: which objects of the security world (``world.py``) fill a shape's path
  parameters, in the order of the path (the owner's: professional A, establishment 1, region 1);
- ``RULES``: per shape and kind of method (``READ``: GET; ``WRITE``: the others), who is let in:
  the ``ok`` roles get anything but a refusal (401/403/404) or a 5xx; the others are refused,
  anonymous with 401/403; ``unsure`` roles are only checked for 5xx (what the API plan leaves
  open). A list names the world object it shows (``listed``): the ``ok`` roles get it in the list,
  the others a list without it, or a refusal.

The roles are the security world's plus establishment 1's admin (``admin_1``), who alone manages
its integration tokens and webhooks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatch

from tests.security.world import ROLES

API_ROLES = (*ROLES, "admin_1")
EVERYONE = frozenset(API_ROLES)
LOGGED_IN = EVERYONE - {"anonymous"}
PROS = frozenset({"pro_a", "pro_b"})
PRO_A = frozenset({"pro_a"})
SITE_1 = frozenset({"hr_1", "viewer_1", "admin_1"})
SITE_1_WRITERS = frozenset({"hr_1", "admin_1"})
ADMIN_1 = frozenset({"admin_1"})
BOTH_PARTIES = PRO_A | SITE_1
REGION_1 = frozenset({"ars_1", "staff"})
ARS = frozenset({"ars_1", "ars_2", "staff"})
NOBODY = frozenset()

READ, WRITE = "read", "write"


def shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def method_kind(method: str) -> str:
    return READ if method.upper() == "GET" else WRITE


#: Which world objects fill a shape's path parameters, first matching pattern first.
PATH_OBJECTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("/api/v1/notifications/{}/*", ("notification",)),
    ("/api/v1/establishments/{}/webhooks/{}/*", ("establishment", "webhook")),
    ("/api/v1/establishments/{}/tokens/{}/*", ("establishment", "integration_token")),
    ("/api/v1/establishments/{}/units/{}/*", ("establishment", "unit")),
    ("/api/v1/establishments/{}/*", ("establishment",)),
    ("/api/v1/shifts/{}/*", ("shift",)),
    ("/api/v1/offers/{}/*", ("offer",)),
    ("/api/v1/missions/{}/done/", ("worked_mission",)),
    ("/api/v1/missions/{}/no-show/", ("worked_mission",)),
    ("/api/v1/missions/{}/*", ("mission",)),
    ("/api/v1/contracts/{}/*", ("contract",)),
    ("/api/v1/credentials/{}/*", ("credential",)),
    ("/api/v1/availability/{}/{}/*", ("year", "month")),
    ("/api/v1/ars/regions/{}/*", ("region",)),
)


@dataclass(frozen=True)
class Rule:
    ok: frozenset[str]
    unsure: frozenset[str] = NOBODY
    listed: str | None = None
    why: str = ""


#: (shape pattern, READ or WRITE or None for both, rule): the first matching applies.
RULES: tuple[tuple[str, str | None, Rule], ...] = (
    ("/api/v1/auth/token/", None, Rule(EVERYONE, why="public: obtaining a token (an empty body: 400)")),
    ("/api/v1/territories/*", None, Rule(EVERYONE, why="public reference data")),
    ("/api/v1/me/", None, Rule(LOGGED_IN, why="oneself")),
    ("/api/v1/notifications/", READ, Rule(PRO_A, listed="notification", why="one's own notifications")),
    ("/api/v1/notifications/{}/*", None, Rule(PRO_A, why="A's notification")),
    ("/api/v1/notifications/*", None, Rule(LOGGED_IN, why="one's own notifications")),
    # The establishment side: establishment 1's members read, its HR and admin write, its admin manages.
    ("/api/v1/establishments/", READ, Rule(SITE_1, listed="establishment", why="one's establishments")),
    ("/api/v1/establishments/{}/tokens/*", None, Rule(ADMIN_1, why="the admin manages integration tokens")),
    ("/api/v1/establishments/{}/webhooks/*", None, Rule(ADMIN_1, why="the admin manages webhooks")),
    ("/api/v1/establishments/{}/units/", READ, Rule(SITE_1, listed="unit", why="establishment 1's units")),
    ("/api/v1/establishments/{}/*", READ, Rule(SITE_1, why="establishment 1's members read")),
    ("/api/v1/establishments/{}/*", WRITE, Rule(SITE_1_WRITERS, why="establishment 1's HR and admin write")),
    ("/api/v1/shifts/", READ, Rule(SITE_1, listed="shift", why="the shifts of one's establishments")),
    ("/api/v1/shifts/{}/share/", WRITE, Rule(ADMIN_1, unsure=frozenset({"hr_1"}),
                                             why="sharing with the legal entity: the admin's (HR: the plan is silent)")),
    ("/api/v1/shifts/{}/*", READ, Rule(SITE_1, why="establishment 1's members read its shift")),
    ("/api/v1/shifts/{}/*", WRITE, Rule(SITE_1_WRITERS, why="establishment 1's HR and admin act on its shift")),
    ("/api/v1/shifts/*", WRITE, Rule(NOBODY, unsure=LOGGED_IN, why="posting: the body names the establishment, "
                                     "a refusal or a 400 for an empty one, never a 5xx")),
    # The professional side and the booking resources both parties share.
    ("/api/v1/profile/", None, Rule(PROS, why="one's own profile")),
    ("/api/v1/availability/{}/{}/", None, Rule(PROS, why="one's own calendar")),
    ("/api/v1/credentials/", READ, Rule(PRO_A, unsure=SITE_1, listed="credential",
                                        why="one's own documents (a member with a mission with A may see them)")),
    ("/api/v1/credentials/", WRITE, Rule(PROS, why="uploading one's own document")),
    ("/api/v1/credentials/{}/*", READ, Rule(PRO_A, unsure=SITE_1, why="A's document")),
    ("/api/v1/credentials/{}/*", WRITE, Rule(PRO_A, why="A's document")),
    ("/api/v1/open-shifts/", READ, Rule(PROS, unsure=LOGGED_IN - PROS,
                                        why="the shifts a professional may take (others: refused or none)")),
    ("/api/v1/offers/", READ, Rule(BOTH_PARTIES, listed="offer", why="A's offers; establishment 1's shifts' offers")),
    ("/api/v1/offers/{}/*", READ, Rule(BOTH_PARTIES, why="the professional and the shift's establishment")),
    ("/api/v1/offers/{}/*", WRITE, Rule(PRO_A, why="accepting or declining is the professional's")),
    ("/api/v1/missions/", READ, Rule(BOTH_PARTIES, listed="mission", why="one's missions, either side")),
    ("/api/v1/missions/{}/cancel/", WRITE, Rule(PRO_A | SITE_1_WRITERS, why="either party cancels")),
    ("/api/v1/missions/{}/done/", WRITE, Rule(SITE_1_WRITERS, why="the establishment closes it")),
    ("/api/v1/missions/{}/no-show/", WRITE, Rule(SITE_1_WRITERS, why="the establishment closes it")),
    ("/api/v1/missions/{}/*", READ, Rule(BOTH_PARTIES, why="both parties")),
    ("/api/v1/contracts/", READ, Rule(BOTH_PARTIES, unsure=frozenset({"staff"}), listed="contract",
                                      why="one's contracts, either side")),
    ("/api/v1/contracts/{}/*", READ, Rule(BOTH_PARTIES, unsure=frozenset({"staff"}),
                                          why="the parties (platform staff: as the pages allow)")),
    # ARS: region 1's agents and platform staff; the list of regions, to every agent (their own) and staff.
    ("/api/v1/ars/regions/", READ, Rule(ARS, why="the regions one reads: ARS agents and platform staff")),
    ("/api/v1/ars/regions/{}/*", READ, Rule(REGION_1, why="region 1's agents and platform staff")),
)


def rule_for(path: str, method: str) -> Rule | None:
    kind = method_kind(method)
    return next((rule for pattern, kinds, rule in RULES
                 if fnmatch(shape(path), pattern) and kinds in (None, kind)), None)


def path_objects(path: str) -> tuple[str, ...] | None:
    """The world keys of ``path``'s parameters, or None when no pattern says."""
    count = shape(path).count("{}")
    if not count:
        return ()
    return next((keys for pattern, keys in PATH_OBJECTS if fnmatch(shape(path), pattern) and len(keys) == count), None)


def path_values(path: str, objects: dict) -> dict[str, object]:
    """``path``'s parameters, by name, filled with the world's objects (their pk, or the value itself)."""
    keys = path_objects(path)
    if keys is None:
        raise LookupError(f"{path}: no world objects for its path parameters; add it to PATH_OBJECTS "
                          "in tests/security/api_policy.py")
    names = re.findall(r"\{([^}]+)\}", path)
    missing = [key for key in keys if key not in objects]
    if missing:
        raise LookupError(f"{path}: the security world has no {missing}; add them to tests/security/world.py")
    return {name: getattr(objects[key], "pk", objects[key]) for name, key in zip(names, keys, strict=True)}
