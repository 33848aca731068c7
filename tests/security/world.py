"""The world both security modules walk: every URL of the project's own apps, taken from the URL
resolver (not a hand-kept list), and one fixture holding the roles and the objects their path
parameters are filled with.

The owner's objects belong to professional A, establishment 1 (and its legal entity) and region 1.
A URL keyword the table below cannot fill fails the run (``fill_kwargs``): a new URL is covered by
the matrix and the fuzz from the day it is added, or the run says what to add here.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from datetime import timedelta
from fnmatch import fnmatch

from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import ars_invitation_create
from establishments.models import MemberRole
from establishments.services import member_invitation_create
from establishments.services_tokens import integration_token_create
from missions.contracts.services import contract_draft
from missions.core.models import ProposalSource
from notifications.services import DIGEST_SCOPE, unsubscribe_url
from professionals.services import credential_upload
from territories.models import Region
from tests.factories import (
    book,
    in_days,
    make_ars_agent,
    make_establishment,
    make_professional,
    make_proposal,
    make_shift,
    make_user,
    move_to_past,
    platform_staff,
)
from ville_hopital.models import AuditEvent
from webhooks.models import WebhookEvent
from webhooks.services import webhook_subscription_create

#: What is left out of the walk, and why (matched against ``namespace:name`` and the view's module).
SKIPPED = {
    "admin:*": "Django's admin: staff only, Django's own permission checks (tests/integration/test_admin.py)",
    "account_*": "allauth's own sign-in, sign-up, reset and e-mail confirmation pages: nobody's data is "
                 "behind them (their key links are allauth's signed secrets); the account's own pages "
                 "are kept (OWN_ALLAUTH_PAGES)",
    "socialaccount_*": "allauth's third-party sign-in steps (cancelled, error, sign-up after a provider): no one's "
                       "data; the account's own connections page is kept (OWN_ALLAUTH_PAGES)",
    "pro_sante_connect_*": "the sign-in with Pro Santé Connect (allauth's OpenID Connect steps): a redirect to the "
                           "provider and its return, nobody's data (tests/pro_sante_connect covers it)",
    "allauth (unnamed)": "allauth's unnamed legacy redirects: no name to reverse, nothing of anyone's behind them",
    "set_language": "Django's i18n view: sets a cookie, reads no data",
    "mfa_deactivate_totp": "allauth's pages about one's own authenticators: a 404 for whoever has not this one "
                           "(tests/foundation/test_mfa.py signs in, enrols, uses and removes them)",
    "mfa_*recovery_codes": "allauth's pages about one's own recovery codes: a 404 for whoever has none "
                           "(tests/foundation/test_mfa.py)",
    "mfa_*_webauthn": "allauth's pages about one's own passkeys, by the key's id (tests/foundation/test_mfa.py, "
                      "tests/foundation/test_browser_mfa.py)",
    "schema": "the OpenAPI schema: public description of the API (tests/foundation covers the docs)",
    "api-docs": "the API docs (Swagger UI): public, no data",
    "api-redoc": "the API docs (ReDoc): public, no data",
}
#: allauth pages about the signed-in person's own account: kept in the walk.
OWN_ALLAUTH_PAGES = ("account_email", "account_change_password", "socialaccount_connections")

#: The owner's secrets: texts only the listed roles may ever see (checked in every response).
PRO_A_LAST_NAME = "Owner-Zephyrine"
HR_1_LAST_NAME = "Gestionnaire-Quintilien"
REGION_1, REGION_2 = "76", "11"  # Occitanie (Mende, 48095) and Île-de-France (Paris, 75056)

ROLES = ("anonymous", "pro_a", "pro_b", "hr_1", "viewer_1", "hr_2", "viewer_2", "ars_1", "ars_2", "staff")


@dataclass(frozen=True)
class Route:
    """One URL pattern of the project: its full name, the keyword names of its path and its view."""

    name: str
    route: str
    kwargs: tuple[str, ...]
    view: object

    @property
    def methods(self) -> frozenset[str]:
        """The HTTP methods the view answers (``require_http_methods`` and its kin, DRF's handlers);
        a view without such a restriction answers POST when its code reads one."""
        cls = getattr(self.view, "cls", None) or getattr(self.view, "view_class", None)
        if cls is not None:
            return frozenset(m.upper() for m in cls.http_method_names if hasattr(cls, m) and m != "options")
        function = self.view
        while function is not None:
            code = getattr(function, "__code__", None)
            if code is not None and "request_method_list" in code.co_freevars:
                cell = function.__closure__[code.co_freevars.index("request_method_list")]
                return frozenset(cell.cell_contents) - {"HEAD"}
            function = getattr(function, "__wrapped__", None)
        source = inspect.getsource(inspect.unwrap(self.view))
        return frozenset({"GET", "POST"} if "POST" in source else {"GET"})

    @property
    def handles_post(self) -> bool:
        return "POST" in self.methods

    @property
    def post_only(self) -> bool:
        return "GET" not in self.methods


def skip_reason(name: str, source: str = "") -> str | None:
    if name in OWN_ALLAUTH_PAGES:
        return None
    if not name.rpartition(":")[2] and source.startswith("allauth."):
        return SKIPPED["allauth (unnamed)"]
    return next((reason for pattern, reason in SKIPPED.items() if fnmatch(name, pattern)), None)


def _walk(resolver: URLResolver, prefix: str = "", namespace: tuple[str, ...] = (), source: str = "",
          kwargs: tuple[str, ...] = ()):
    """(route, the module of the URLconf that declares it). The keywords of an ``include``'s own
    path (``establishments/<int:establishment_id>/tokens/``) are the route's too."""
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = (*namespace, pattern.namespace) if pattern.namespace else namespace
            module = getattr(pattern.urlconf_module, "__name__", source)
            outer = (*kwargs, *pattern.pattern.regex.groupindex)
            yield from _walk(pattern, prefix + str(pattern.pattern), inner, module, outer)
        elif isinstance(pattern, URLPattern):
            name = ":".join((*namespace, pattern.name or ""))
            keywords = (*kwargs, *pattern.pattern.regex.groupindex)
            route = Route(name, prefix + str(pattern.pattern), keywords, pattern.callback)
            yield route, source


def every_route() -> list[tuple[Route, str | None]]:
    """Every URL of the site, in resolver order, each with the reason the security walk leaves it
    out (``SKIPPED``; None: walked). The first of several URLs of one name is the one ``reverse`` gives;
    unnamed URLs are kept by their path."""
    seen: dict[str, tuple[Route, str | None]] = {}
    for route, source in _walk(get_resolver()):
        seen.setdefault(route.name if route.name.rpartition(":")[2] else route.route, (route, skip_reason(route.name, source)))
    return list(seen.values())


def project_routes() -> list[Route]:
    """Every named URL of the project's own apps, in resolver order, the skipped ones left out."""
    return [route for route, skipped in every_route() if skipped is None]


# --------------------------------------------------------------------------- the world


@dataclass
class World:
    users: dict[str, User | None]
    objects: dict[str, object] = field(default_factory=dict)


def build_world() -> World:
    """Professional A (nurse, Mende) booked at establishment 1 (region 1), with an RCP attestation,
    a contract, notifications, a pending offer and a candidacy; professional B (nurse, Paris) owns
    nothing of theirs. Establishment 2 is in Paris too (region 2)."""
    staff = platform_staff()
    pro_a = make_professional(make_user(first_name="Alix", last_name=PRO_A_LAST_NAME), commune="48095")
    pro_b = make_professional(make_user(first_name="Basile", last_name="Autre"), commune="75056")
    hr_1 = make_user(first_name="Hélène", last_name=HR_1_LAST_NAME)
    RecoveryCodes.activate(hr_1)  # what enrolling in the pages gives beside the app (its MFA pages show them)
    viewer_1, hr_2, viewer_2 = make_user(), make_user(), make_user()
    admin_1 = make_user()  # invites; not one of the roles (the matrix is about HR and viewers)
    site_1 = make_establishment(admin=admin_1, members={hr_1: MemberRole.HR, viewer_1: MemberRole.VIEWER},
                                commune="48095")
    make_establishment(members={hr_2: MemberRole.HR, viewer_2: MemberRole.VIEWER}, commune="75056")
    open_shift = make_shift(site_1, starts_at=in_days(12))
    offer = make_proposal(open_shift, pro_a)
    later = make_shift(site_1, starts_at=in_days(20))
    candidacy = make_proposal(later, pro_a, source=ProposalSource.CANDIDACY)
    mission = book(make_shift(site_1, starts_at=in_days(5)), pro_a)
    contract = contract_draft(mission=mission)  # what the booking queues after its commit
    worked = book(make_shift(site_1, starts_at=in_days(6)), pro_a)
    move_to_past(worked.shift)  # over: HR closes it (service fait / absence)
    credential = credential_upload(
        actor=pro_a.user, professional=pro_a, kind="insurance", expires_on=timezone.localdate() + timedelta(days=365),
        file=SimpleUploadedFile("rcp.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf"),
    )
    ars_token = ars_invitation_create(actor=staff, email="future-agent@ars.sante.fr",
                                      region=Region.objects.get(code=REGION_1)).token
    member_token = member_invitation_create(actor=admin_1, establishment=site_1,
                                            email="future-hr@example.org", role=MemberRole.VIEWER).token
    # A public address written as such: nothing to resolve (the tests have no DNS beyond /etc/hosts).
    webhook, _webhook_secret = webhook_subscription_create(
        actor=admin_1, establishment=site_1, url="https://93.184.216.34/vh", events=[WebhookEvent.MISSION_CANCELLED],
    )
    integration_token, _secret = integration_token_create(actor=admin_1, establishment=site_1, name="Planning", scope="read")
    notification = pro_a.user.notifications.order_by("pk").first()
    assert notification is not None, "booking a mission notifies the professional"
    today = timezone.localdate()
    users = {
        "anonymous": None, "pro_a": pro_a.user, "pro_b": pro_b.user, "hr_1": hr_1, "viewer_1": viewer_1,
        "hr_2": hr_2, "viewer_2": viewer_2, "ars_1": make_ars_agent(REGION_1), "ars_2": make_ars_agent(REGION_2),
        "staff": staff, "admin_1": admin_1,  # admin_1: only the fuzz posts as them (an admin's forms)
    }
    objects = {
        "establishment": site_1, "unit": open_shift.unit, "shift": open_shift, "offer": offer, "candidacy": candidacy,
        "mission": mission, "worked_mission": worked, "contract": contract, "credential": credential, "notification": notification,
        "webhook": webhook,
        "region": REGION_1, "year": today.year, "month": today.month, "table": "etablissements", "fmt": "csv",
        "integration_token": integration_token, "calendar_token": pro_a.calendar_token, "ars_token": ars_token, "member_token": member_token,
        "unsubscribe_token": unsubscribe_url(user=pro_a.user, scope=DIGEST_SCOPE).rstrip("/").rsplit("/", 1)[-1],
        # allauth's signed links, for the walks that open its pages (the security walk skips them):
        # professional B's address confirmation and password reset, as the e-mails carry them.
        "email_key": EmailConfirmationHMAC(EmailAddress.objects.get_primary(pro_b.user)).key,
        "reset_uidb36": user_pk_to_url_str(pro_b.user), "reset_key": default_token_generator.make_token(pro_b.user),
    }
    return World(users, objects)


#: Which object a path keyword stands for. A keyword means the same object in every URL…
KWARG_OBJECTS = {
    "establishment_id": "establishment", "shift_id": "shift", "mission_id": "mission", "proposal_id": "offer",
    "contract_id": "contract", "region": "region", "scope": "region", "year": "year", "month": "month",
    "table": "table", "fmt": "fmt", "uidb36": "reset_uidb36", "token_id": "integration_token",
    "webhook_id": "webhook",
}
#: …except ``pk`` and ``token``, whose object depends on the URL (first matching name pattern wins).
BY_URL_NAME = {
    "pk": (
        ("professionals:credential_*", "credential"), ("establishments:unit_update", "unit"),
        ("establishments:shift_share", "shift"), ("establishments:integration_token_revoke", "integration_token"),
        ("establishments:*", "establishment"),
        ("missions:proposal_*", "offer"), ("missions:mission_detail", "mission"), ("missions:hr_mission_*", "worked_mission"),
        ("missions:hr_board", "establishment"), ("missions:hr_shift_*", "shift"),
        ("missions:hr_candidacy_*", "candidacy"), ("missions:contract_*", "contract"),
        ("notifications:mark_read", "notification"), ("api:notification-*", "notification"),
        ("api:establishment-*", "establishment"), ("api:shift-*", "shift"), ("api:offer-*", "offer"),
        ("api:mission-done", "worked_mission"), ("api:mission-no-show", "worked_mission"), ("api:mission-*", "mission"),
        ("api:contract-*", "contract"), ("api:credential-*", "credential"),
        ("audit:establishment*", "establishment"),
    ),
    "token": (
        ("professionals:calendar_feed", "calendar_token"), ("accounts:ars_invitation", "ars_token"),
        ("establishments:invitation_accept", "member_token"), ("notifications:unsubscribe", "unsubscribe_token"),
    ),
    "key": (("account_confirm_email", "email_key"), ("account_reset_password_from_key", "reset_key")),
    "code": (("api:ars-*", "region"),),
}


def object_key(route: Route, kwarg: str) -> str | None:
    if kwarg in KWARG_OBJECTS:
        return KWARG_OBJECTS[kwarg]
    return next((key for pattern, key in BY_URL_NAME.get(kwarg, ()) if fnmatch(route.name, pattern)), None)


def fill_kwargs(route: Route, world: World) -> dict[str, object]:
    filled = {}
    for kwarg in route.kwargs:
        key = object_key(route, kwarg)
        if key is None:
            raise LookupError(
                f"{route.name} ({route.route}): no object for the path keyword {kwarg!r}; "
                "add it to KWARG_OBJECTS or BY_URL_NAME in tests/security/world.py"
            )
        value = world.objects[key]
        filled[kwarg] = getattr(value, "pk", value)
    return filled


def url_of(route: Route, world: World) -> str:
    return reverse(route.name, kwargs=fill_kwargs(route, world))


def _project_tables() -> list[str]:
    local = {"accounts", "territories", "reference", "notifications", "establishments", "professionals",
             "missions", "dashboards", "ville_hopital", "contracts", "webhooks"}
    return sorted(m._meta.db_table for m in apps.get_models() if m._meta.app_label in local and m._meta.managed)


def row_counts() -> dict[str, int]:
    """The number of rows of every table of the project's models, in one query."""
    tables = _project_tables()
    # The models' own table names, quoted: nothing from a request reaches this SQL.
    counts = ", ".join(f"(SELECT COUNT(*) FROM {connection.ops.quote_name(t)})" for t in tables)  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts}")
        return dict(zip(tables, cursor.fetchone(), strict=True))


def client_for(world: World, role: str) -> Client:
    """A test client signed in as ``role`` (anonymous: not signed in)."""
    client = Client()
    if world.users.get(role) is not None:
        client.force_login(world.users[role])
    return client


@dataclass
class Writes:
    """What a request wrote: the tables whose row count changed, and the actions it audited."""

    rows: dict[str, tuple[int, int]]
    audited: list[str]


def rolled_back(client: Client, method: str, url: str, data: dict | None = None, *, count_rows: bool = False):
    """One request whose writes are undone, so every request meets the same world; with
    ``count_rows``, what it wrote too (else None)."""
    with transaction.atomic():
        before = row_counts() if count_rows else None
        last_audit = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        response = client.get(url) if method == "GET" else client.post(url, data or {})
        writes = None
        if count_rows:
            after = row_counts()
            writes = Writes(
                {t: (before[t], after[t]) for t in before if before[t] != after[t]},
                list(AuditEvent.objects.filter(pk__gt=last_audit).values_list("action", flat=True)),
            )
        transaction.set_rollback(True)
    return response, writes
