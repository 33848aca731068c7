"""Demo accounts that belong to no domain app: platform staff and an ARS agent (Occitanie)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.db import transaction

from accounts.models import ArsStaff, User
from territories.models import Region
from ville_hopital.audit import audit_record
from ville_hopital.models import AuditEvent

DEMO_PASSWORD = "demo-ville-hopital"  # printed on the console by seed_demo; demo data only  # noqa: S105
#: The authenticator-app key (base32) of the demo accounts whose role requires a second factor (staff,
#: ARS, establishment admins and HR): printed with the logins, to add to an app; demo data only.
DEMO_TOTP_SECRET = "VILLEHOPITALDEMOVILLEHOPITALDEMO"  # noqa: S105
DEMO_REGION = "76"  # Occitanie: Lozère (rural, medical desert) beside Hérault (Montpellier CHU)
DEMO_DEPARTEMENTS = ("48", "34", "12", "30")


@dataclass
class DemoContext:
    """What the steps share: the RNG (one seed for the whole run), the size, the logins to print."""

    rng: random.Random
    size: int
    logins: list[tuple[str, str]] = field(default_factory=list)
    api_token: str = ""  # the demo integration token's secret (establishments.demo_integration), shown once


def demo_user(email: str, first_name: str, last_name: str, *, is_staff: bool = False) -> User:
    """Get or create a verified demo account (re-running the seed does not duplicate)."""
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(
            email, DEMO_PASSWORD, first_name=first_name, last_name=last_name, is_staff=is_staff, is_superuser=is_staff
        )
    EmailAddress.objects.get_or_create(user=user, email=email, defaults={"verified": True, "primary": True})
    return user


@transaction.atomic
def seed(ctx: DemoContext) -> None:
    demo_user("admin@demo.ville-hopital.fr", "Camille", "Admin", is_staff=True)
    ctx.logins.append(("Équipe plateforme (admin Django)", "admin@demo.ville-hopital.fr"))
    ars = demo_user("ars.occitanie@demo.ville-hopital.fr", "Inès", "Roussel")
    ArsStaff.objects.get_or_create(user=ars, defaults={"region": Region.objects.get(code=DEMO_REGION)})
    ctx.logins.append(("Agent ARS Occitanie", ars.email))


def demo_seed_record(ctx: DemoContext) -> AuditEvent:
    """Audit the seed, with the logins it made: ``run_embedded`` prints them again once the server
    is up, last, where a new user looks (the seed's own output scrolls away above the server's)."""
    region = Region.objects.get(code=DEMO_REGION)
    return audit_record(actor=None, action="demo.seed", target=region, data={"size": ctx.size, "logins": ctx.logins})


def demo_logins() -> list[tuple[str, str]]:
    """The (role, email) logins of the last demo seed; none when the database was never seeded."""
    event = AuditEvent.objects.filter(action="demo.seed").order_by("-created_at", "-pk").first()
    return [(role, email) for role, email in event.data["logins"]] if event else []


def demo_logins_text(logins: list[tuple[str, str]]) -> str:
    """The block of logins as printed (bench/screenshots.py reads the ``  role   email`` lines)."""
    lines = ["Comptes de démonstration (mot de passe commun) :"]
    lines += [f"  {role:<45} {email}" for role, email in logins]
    lines.append(f"  second facteur (équipe, ARS, admin et RH) : clé {DEMO_TOTP_SECRET} dans une application d'authentification")
    lines.append(f"  mot de passe : {DEMO_PASSWORD}")
    return "\n".join(lines)


def demo_api_text(base_url: str, token: str = "") -> str:
    """How to try the API: its documentation and, right after a seed, the demo integration token
    (CH de Mende's planning software), whose secret is shown only then."""
    lines = [f"API : documentation {base_url}/api/docs/ (schéma OpenAPI : {base_url}/api/schema/)"]
    if token:
        lines += [f"  jeton d'intégration de démonstration (CH de Mende, écriture, 30 jours) : {token}",
                  f"  curl -H 'Authorization: Bearer {token}' {base_url}/api/v1/shifts/"]
    else:
        lines.append("  un jeton d'intégration de démonstration est affiché par seed_demo (ci-dessus), "
                     "un nouveau à chaque lancement")
    return "\n".join(lines)
