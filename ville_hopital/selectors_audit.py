"""Reading the audit trail: who reads which rows (``audit_events_for``, the one access rule), the
pages' filters, how a row reads, and the CSV.

Three readers:

- **platform staff** read every row, and any establishment's trail;
- **an establishment's admin** (``MemberRole.ADMIN``; HR and viewers get a 404, as for a missing
  establishment) reads the rows whose *target* belongs to the establishment: the establishment
  itself (registration, verification, CSV imports), its units, shifts and shift series, its
  memberships and member invitations, its integration tokens (created, revoked, each use and
  refusal), the missions booked on its shifts and their contracts
  (transitions, signatures, and every download of a contract PDF, whoever read it). Rows are
  chosen by target ids, never by actor: what a member did elsewhere stays out, and what a
  professional or the system did to the establishment's things is in;
- **everyone else** reads the rows about themselves: their account (sign-ins, failed sign-ins on
  their address, sign-outs, API token, phone), their professional profile (including each reading
  of their credential documents, ``credential.download``) and the downloads of their contracts.

The rows are those ``audit_record`` wrote; the trail itself is append-only (a trigger refuses
updates and deletes).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import CharField, Model, Q, QuerySet
from django.db.models.functions import Cast
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from establishments.models import (
    Establishment,
    IntegrationToken,
    MemberInvitation,
    Membership,
    Shift,
    ShiftSeries,
    Unit,
)
from missions.contracts.models import Contract
from missions.core.models import Mission
from professionals.models import Professional
from ville_hopital.access import ADMIN, VIEW
from ville_hopital.input_hygiene import query_date
from ville_hopital.list_pages import RowGroup, group_by_week
from ville_hopital.models import AuditEvent
from ville_hopital.spreadsheet_cells import csv_text_cell

PAGE_SIZE = 50
#: A CSV export holds at most this many rows (the newest); narrower filters give the rest.
EXPORT_MAX_ROWS = 10_000
#: Longest text filter kept (an e-mail address is at most 254 characters).
FILTER_MAX_LENGTH = 254
AUDIT_EXPORT = "audit.export"

#: How the actions read on the pages; an action missing here shows its code.
ACTION_LABELS = {
    "auth.login": _("Connexion"),
    "auth.login_failed": _("Échec de connexion"),
    "auth.logout": _("Déconnexion"),
    "api_token.issue": _("Jeton d'API délivré"),
    "api_token.use": _("Jeton d'API utilisé"),
    "credential.upload": _("Justificatif déposé"),
    "credential.delete": _("Justificatif supprimé"),
    "credential.download": _("Justificatif téléchargé"),
    "contract.download": _("Contrat téléchargé"),
    "contract.draft": _("Contrat établi"),
    "contract.sign_failed": _("Signature refusée (mot de passe erroné)"),
    "dashboard.export": _("Export d'un tableau de bord ARS"),
    "audit.export": _("Export du journal d'audit"),
    "establishment.register": _("Établissement enregistré"),
    "establishment.verify": _("Établissement vérifié"),
    "member_invitation.create": _("Membre invité"),
    "member_invitation.accept": _("Invitation acceptée"),
    "integration_token.create": _("Jeton d'intégration créé"),
    "integration_token.revoke": _("Jeton d'intégration révoqué"),
    "integration_token.use": _("Jeton d'intégration utilisé"),
    "integration_token.refused": _("Jeton d'intégration refusé (révoqué ou expiré)"),
    "unit.create": _("Unité créée"),
    "unit.update": _("Unité modifiée"),
    "shift.post": _("Vacation publiée"),
    "shift.cancel": _("Vacation annulée"),
    "shift.import_csv": _("Vacations importées (CSV)"),
    "mission.book": _("Mission réservée"),
    "mission.cancel": _("Mission annulée"),
    "mission.complete": _("Mission terminée"),
    "professional.create": _("Profil professionnel créé"),
    "professional.update": _("Profil professionnel modifié"),
}

#: What a target is, in words.
TARGET_LABELS = {
    "accounts.user": _("compte"),
    "professionals.professional": _("profil professionnel"),
    "professionals.credential": _("justificatif"),
    "establishments.establishment": _("établissement"),
    "establishments.unit": _("unité"),
    "establishments.shift": _("vacation"),
    "establishments.shiftseries": _("série de vacations"),
    "establishments.membership": _("membre"),
    "establishments.memberinvitation": _("invitation"),
    "establishments.integrationtoken": _("jeton d'intégration"),
    "missions.mission": _("mission"),
    "missions.contract": _("contrat"),
    "territories.region": _("région"),
}

#: Offered in the action filter (a prefix such as ``auth.`` matches a whole family).
ACTION_SUGGESTIONS = ("auth.", "credential.download", "contract.download", "dashboard.export", "api_token.", "integration_token.", "audit.export")


def _label(model: type[Model]) -> str:
    return model._meta.label_lower


def _targets(model: type[Model], rows: QuerySet) -> Q:
    """Rows targeting one of ``rows`` (``target_id`` is text: the ids are cast in the subquery)."""
    ids = rows.annotate(audit_target_id=Cast("pk", CharField())).values("audit_target_id")
    return Q(target_type=_label(model), target_id__in=ids)


def establishment_scope(establishment: Establishment) -> Q:
    """The rows an establishment's trail holds: those whose target belongs to it (module docstring)."""
    return (
        Q(target_type=_label(Establishment), target_id=str(establishment.pk))
        | _targets(Unit, Unit.objects.filter(establishment=establishment))
        | _targets(Shift, Shift.objects.filter(establishment=establishment))
        | _targets(ShiftSeries, ShiftSeries.objects.filter(establishment=establishment))
        | _targets(Membership, Membership.objects.filter(establishment=establishment))
        | _targets(MemberInvitation, MemberInvitation.objects.filter(establishment=establishment))
        | _targets(IntegrationToken, IntegrationToken.objects.filter(establishment=establishment))
        | _targets(Mission, Mission.objects.filter(shift__establishment=establishment))
        | _targets(Contract, Contract.objects.filter(mission__shift__establishment=establishment))
    )


def own_scope(user: User) -> Q:
    """The rows about ``user``: their account, their professional profile (credential readings
    target it), and who downloaded their contracts (their own as the professional, not those of
    the establishments they belong to: a narrowing of ``for_user`` to the trail's subject)."""
    mine = Professional.objects.for_user(user, VIEW)
    return (
        Q(target_type=_label(User), target_id=str(user.pk))
        | _targets(Professional, mine)
        | (Q(action="contract.download") & _targets(Contract, Contract.objects.filter(mission__professional__in=mine)))
    )


def trail_establishments(user: Any) -> QuerySet[Establishment]:
    """The establishments whose trail ``user`` may read: every one for staff, else those they administer."""
    if not user.is_authenticated:
        return Establishment.objects.none()
    if user.is_staff:
        return Establishment.objects.all()
    return Establishment.objects.for_user(user, ADMIN)


@dataclass(frozen=True)
class AuditTrail:
    """What one reader may read: an establishment's trail, or (``establishment`` None) their own
    (everything, for staff)."""

    events: QuerySet[AuditEvent]
    establishment: Establishment | None = None
    everything: bool = False


def audit_events_for(user: Any, establishment: int | None = None) -> AuditTrail:
    """The one access rule of the trail. ``establishment``: an establishment's id, whose trail only
    its admins and staff read; anyone else, and a missing id, get the same 404."""
    if not user.is_authenticated:
        raise Http404
    events = AuditEvent.objects.select_related("actor").order_by("-created_at", "-pk")
    if establishment is not None:
        site = get_object_or_404(trail_establishments(user), pk=establishment)
        return AuditTrail(events.filter(establishment_scope(site)), establishment=site)
    if user.is_staff:
        return AuditTrail(events, everything=True)
    return AuditTrail(events.filter(own_scope(user)))


# --------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class AuditFilters:
    """The pages' filters, from the query string: ``action`` (a code or its prefix), ``acteur``
    (part of the actor's e-mail address), ``du`` / ``au`` (days, bounded by ``query_date``)."""

    action: str = ""
    actor: str = ""
    date_from: date | None = None
    date_to: date | None = None

    @classmethod
    def from_query(cls, query: QueryDict) -> AuditFilters:
        return cls(
            action=query.get("action", "").strip()[:FILTER_MAX_LENGTH],
            actor=query.get("acteur", "").strip()[:FILTER_MAX_LENGTH],
            date_from=query_date(query.get("du")),
            date_to=query_date(query.get("au")),
        )

    def apply(self, events: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        if self.action:
            events = events.filter(action__startswith=self.action)
        if self.actor:
            events = events.filter(actor__email__icontains=self.actor)
        if self.date_from:
            events = events.filter(created_at__gte=_day_start(self.date_from))
        if self.date_to:
            events = events.filter(created_at__lt=_day_start(self.date_to + timedelta(days=1)))
        return events

    def as_data(self) -> dict[str, str | None]:
        """For the export's own audit row."""
        return {
            "action": self.action, "actor": self.actor,
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
        }


def _day_start(day: date) -> datetime:
    # Days are Paris days (the pages' time zone), not UTC ones.
    return timezone.make_aware(datetime.combine(day, time.min))


# --------------------------------------------------------------------------- reading a row


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def target_label(event: AuditEvent) -> str:
    if not event.target_type:
        return ""
    return f"{TARGET_LABELS.get(event.target_type, event.target_type)} #{event.target_id}"


def actor_label(event: AuditEvent) -> str:
    if event.actor is None:
        # A failed sign-in has no signed-in actor; the rest without one is the platform's jobs.
        return str(_("anonyme") if event.action == "auth.login_failed" else _("système"))
    name = event.actor.get_full_name()
    return f"{name} <{event.actor.email}>" if name else event.actor.email


def details(event: AuditEvent) -> str:
    return ", ".join(f"{key}: {value}" for key, value in sorted(event.data.items()) if value not in (None, ""))


def audit_row(event: AuditEvent) -> dict[str, Any]:
    """An event as the trail's page shows it."""
    return {"event": event, "action": action_label(event.action), "actor": actor_label(event),
            "target": target_label(event), "details": details(event)}


def audit_weeks(page: Iterable[AuditEvent]) -> list[RowGroup[dict[str, Any]]]:
    """A page of the trail (newest first) in weeks (« Cette semaine », « La semaine dernière »…), each
    event as ``audit_row`` shows it."""
    weeks = group_by_week(page, when=lambda event: event.created_at)
    return [replace(week, rows=[audit_row(event) for event in week.rows]) for week in weeks]


# --------------------------------------------------------------------------- CSV


CSV_HEADER = (
    _("Date"), _("Action"), _("Libellé"), _("Acteur"), _("Cible"), _("Identifiant de la cible"),
    _("État avant"), _("État après"), _("Détails"),
)


def _csv_row(event: AuditEvent) -> list[str]:
    cells = [
        timezone.localtime(event.created_at).isoformat(timespec="seconds"), event.action, action_label(event.action),
        actor_label(event), event.target_type, event.target_id, event.from_state, event.to_state,
        json.dumps(event.data, ensure_ascii=False, sort_keys=True),
    ]
    return [csv_text_cell(cell) for cell in cells]


def audit_csv(events: Iterable[AuditEvent]) -> bytes:
    """Semicolon-separated UTF-8 with a BOM, like the dashboards' exports; every cell is text and
    goes through ``csv_text_cell`` (an actor named ``=HYPERLINK(…)`` stays text)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow([csv_text_cell(str(label)) for label in CSV_HEADER])
    writer.writerows(_csv_row(event) for event in events)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
