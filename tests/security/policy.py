"""Who may use which URL of the project: ``POLICY``, by URL name pattern, the roles of the security
world (``world.ROLES``) let in. The authorization matrix checks every answer against it, the form
fuzz posts as a role it lets in, and the accessibility walk (tests/foundation/test_axe_every_page.py)
reads each page as one of them.

A URL matching no rule lets nobody in (``DEFAULT``): the matrix fails until a rule says who may use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatch

from tests.security.world import ROLES

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
    (("professionals:credential_download", "api:credential-detail"),
     Policy(PRO_A_AND_SITE_1, why="the owner, members with a mission with her")),
    (("professionals:credential_remove",), Policy(frozenset({"pro_a"}))),
    (("professionals:profile_create",), Policy(LOGGED_IN, why="anyone may become a professional")),
    (("professionals:*",), Policy(PROS, why="one's own pages")),
    (("establishments:onboarding", "establishments:shift_import_template"), Policy(LOGGED_IN)),
    (("establishments:home", "establishments:switch"),
     Policy(MEMBERS, post_status=frozenset({400, 404}), why="switch: the empty body names no establishment")),
    (("establishments:integration_token*", "api:integration-token*"),
     Policy(NOBODY, why="the establishment's admins only (1 has none among the roles: its HR and viewer get 404)")),
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
    (("api:ars-regions",), Policy(frozenset({"ars_1", "ars_2", "staff"}), why="the territories one's dashboards cover")),
    (("api:ars-*",), Policy(frozenset({"ars_1", "staff"}), why="region 1's dashboards as JSON: its agents and staff")),
    (("notifications:mark_read", "api:notification-read"), Policy(frozenset({"pro_a"}))),
    (("webhooks:*", "api:webhook-*"),
     Policy(NOBODY, why="the establishment's admins only (1 has none among the roles: its HR and viewer get 404)")),
    (("audit:establishment*",),
     Policy(frozenset({"staff"}), why="the establishment's admins (1 has none: its HR and viewer get 404) and staff")),
    (("audit:*",), Policy(LOGGED_IN, why="one's own trail (staff: all of it)")),
    (("privacy:notice",), Policy(EVERYONE, why="public: what is kept, why, how long")),
    (("privacy:*",), Policy(LOGGED_IN, why="one's own data: the archive, the account's erasure (an empty POST: form error)")),
    (("accounts:api_token",), Policy(LOGGED_IN, why="one's own API token (an empty POST: form error, nothing revoked)")),
    (("second_factor_enrol", "mfa_*"),
     Policy(LOGGED_IN, why="one's own second factor: the enrolment page, allauth's MFA pages")),
    (("api:establishment-list", "api:shift-list"),
     Policy(LOGGED_IN, post_status=frozenset({400}),
            why="one's own establishments and visible shifts (others: an empty list); an empty posting: 400")),
    (("api:shift-bulk", "api:shift-series", "api:shift-import"),
     Policy(LOGGED_IN, post_status=frozenset({400}),
            why="postings name their unit (establishment) in the body: an empty body is a 400 for anyone")),
    (("api:establishment-detail", "api:shift-detail"), Policy(SITE_1)),
    (("api:establishment-units",), Policy(SITE_1, post_forbidden=frozenset({"viewer_1"}),
                                          why="members read; adding a unit: HR, a viewer 403")),
    (("api:shift-share",), Policy(NOBODY, forbidden=SITE_1, why="an admin's action (1 has no admin)")),
    (("api:shift-cancel", "api:shift-offers"),
     Policy(frozenset({"hr_1"}), forbidden=frozenset({"viewer_1"}), post_status=frozenset({400}),
            why="HR acts (an empty body: 400), a viewer who sees the shift: 403")),
    (("api:offer-list", "api:mission-list", "api:contract-list"),
     Policy(LOGGED_IN, why="one's own offers, missions and contracts, either side (others: an empty list)")),
    (("api:offer-detail", "api:mission-detail"), Policy(PRO_A_AND_SITE_1, why="the professional and the establishment")),
    (("api:contract-*",), Policy(PRO_A_AND_SITE_1 | {"staff"}, why="the parties and staff, as the contract's pages")),
    (("api:offer-accept", "api:offer-decline"),
     Policy(frozenset({"pro_a"}), forbidden=SITE_1, why="the professional answers; the establishment sees it: 403")),
    (("api:mission-cancel",), Policy(frozenset({"pro_a", "hr_1"}), forbidden=frozenset({"viewer_1"}),
                                     post_status=frozenset({400}), why="either party cancels (an empty body: 400)")),
    (("api:mission-done", "api:mission-no-show"),
     Policy(frozenset({"hr_1"}), forbidden=frozenset({"viewer_1"}), why="the establishment closes it")),
    (("api:profile", "api:availability-month"),
     Policy(PROS, why="one's own profile and calendar (an account without a professional profile: 404)")),
    (("api:credential-list",),
     Policy(LOGGED_IN, post_status=frozenset({400, 404}),
            why="one's own documents (others: an empty list); uploading is a professional's: an empty body "
                "400, an account without a professional profile 404")),
    (("notifications:*", "api:*", "account_*", "socialaccount_*"),
     Policy(LOGGED_IN, why="one's own notifications and account")),
)
#: When no rule matches: nobody (the failure asks for a rule).
DEFAULT = Policy(NOBODY, why="no rule in POLICY: say who may use this URL")


def policy_for(name: str) -> Policy:
    return next((policy for patterns, policy in POLICY if any(fnmatch(name, p) for p in patterns)), DEFAULT)
