"""Writes for Pro Santé Connect: the RPPS it vouched for, the profile made from its claims, and the
audit row of every refusal.

The checks run before allauth signs anyone in or links anything (``psc_check``); the record is
written once the account exists (sign-up) or the link is saved (``psc_identity_record``).
"""

from __future__ import annotations

from django.contrib.sites.models import Site
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from establishments.access import is_establishment_member
from professionals.models import Professional
from professionals.pro_sante_connect.claims import PscPerson, PscRefusal
from professionals.pro_sante_connect.models import PscIdentity
from professionals.services import professional_create, professional_update
from reference.models import Profession
from territories.models import Commune
from ville_hopital.audit import audit_record

#: What the refusal page says for each ``PscRefusal.reason`` (and what the audit row records).
REFUSALS = {
    "signature": _("La signature du jeton d'identité reçu de Pro Santé Connect n'est pas valide."),
    "audience": _("Le jeton d'identité reçu n'était pas destiné à Ville-Hôpital."),
    "issuer": _("Le jeton d'identité ne vient pas du serveur Pro Santé Connect attendu."),
    "expired": _("Le jeton d'identité reçu de Pro Santé Connect a expiré."),
    "id_token": _("Pro Santé Connect n'a pas renvoyé de jeton d'identité valide."),
    "nonce": _("Cette réponse de Pro Santé Connect ne correspond pas à votre demande de connexion."),
    "acr": _("Le niveau d'authentification exigé (carte CPS ou application e-CPS) n'a pas été atteint."),
    "subject_mismatch": _("Les informations reçues de Pro Santé Connect ne concernent pas la même personne."),
    "rpps_missing": _(
        "Pro Santé Connect n'a pas transmis de numéro RPPS : la connexion par Pro Santé Connect est réservée "
        "aux professionnels inscrits au RPPS."
    ),
    "rpps_registered": _(
        "Un compte existe déjà avec ce numéro RPPS : connectez-vous avec votre adresse e-mail et votre mot "
        "de passe, puis liez Pro Santé Connect depuis « Mon compte »."
    ),
    "rpps_other_account": _("Ce numéro RPPS est rattaché à un autre compte. Écrivez-nous si ce n'est pas le vôtre."),
    "rpps_mismatch": _("Votre profil porte un autre numéro RPPS que celui transmis par Pro Santé Connect."),
    "psc_other_account": _("Cette identité Pro Santé Connect est déjà liée à un autre compte."),
    "unavailable": _(
        "Pro Santé Connect ne répond pas pour le moment : réessayez dans quelques minutes, ou connectez-vous "
        "avec votre adresse e-mail et votre mot de passe."
    ),
    "unknown": _("La connexion avec Pro Santé Connect n'a pas abouti."),
}


@transaction.atomic
def psc_refusal_record(*, actor: User | None, refusal: PscRefusal) -> str:
    """Audit a refused PSC answer; returns the reason known to ``REFUSALS``. The row is about the
    account that tried to link, or the platform (the Site) for a sign-in: no account is known then."""
    reason = refusal.reason if refusal.reason in REFUSALS else "unknown"
    target = actor if actor is not None else Site.objects.get_current()
    audit_record(actor=actor, action="psc.refused", target=target, data={"reason": reason, "detail": refusal.detail[:500]})
    return reason


def psc_check(*, person: PscPerson, user: User | None, linking: bool) -> None:
    """Refuse (``PscRefusal``) an identity that would give one RPPS to two accounts. ``user``: the
    account PSC's ``sub`` is already linked to, or the one signed in that links it (``linking``)."""
    owner = PscIdentity.objects.filter(rpps=person.rpps).exclude(subject=person.subject).first()
    if owner is not None:
        raise PscRefusal("rpps_other_account", f"RPPS already vouched for user {owner.user_id}")
    profile = Professional.objects.filter(rpps=person.rpps).first()
    if profile is not None and (user is None or profile.user_id != user.pk):
        # A new PSC sign-in whose RPPS is already typed on someone's profile: most likely that person
        # signed up with a password; they link PSC from their account rather than get a second one.
        raise PscRefusal("rpps_other_account" if linking else "rpps_registered", f"RPPS on profile {profile.pk}")
    own = Professional.objects.filter(user=user).first() if user is not None else None
    if own is not None and own.rpps and own.rpps != person.rpps:
        raise PscRefusal("rpps_mismatch", f"profile {own.pk} has another RPPS")


def _profile_from_claims(user: User, person: PscPerson) -> str:
    """Put the verified RPPS on ``user``'s profile, creating the profile when the claims say enough
    (a known profession and commune); returns what was done, for the audit row."""
    profile = Professional.objects.filter(user=user).first()
    if profile is not None:
        if profile.rpps == person.rpps:
            return "kept"
        professional_update(actor=user, professional=profile, rpps=person.rpps)
        return "updated"
    profession = Profession.objects.filter(pk__in=person.profession_codes).first()
    commune = Commune.objects.filter(code_insee__in=person.commune_codes).first()
    if profession is None or commune is None or is_establishment_member(user):
        return "absent"  # the profile form asks the rest; the RPPS typed there is checked against ours
    professional_create(actor=user, profession=profession, home_commune=commune, rpps=person.rpps)
    return "created"


@transaction.atomic
def psc_identity_record(*, user: User, person: PscPerson) -> PscIdentity:
    """Record that PSC vouched for ``person.rpps`` as ``user``'s, and put it on the profile."""
    psc_check(person=person, user=user, linking=True)
    identity = PscIdentity.objects.select_for_update().filter(user=user).first()
    created = identity is None
    identity = identity or PscIdentity(user=user)
    identity.subject, identity.rpps, identity.acr, identity.verified_at = (
        person.subject, person.rpps, person.acr, timezone.now()
    )
    identity.full_clean()
    identity.save()
    try:
        profile = _profile_from_claims(user, person)
    except ValidationError as error:
        raise PscRefusal("rpps_mismatch", "; ".join(error.messages)) from error
    audit_record(
        actor=user, action="psc.verify", target=identity,
        data={"rpps": person.rpps, "acr": person.acr, "created": created, "profile": profile},
    )
    return identity
