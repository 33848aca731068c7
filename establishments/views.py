"""HR pages of an establishment: onboarding, dashboard and switcher, members, units, posting, and
its integration tokens (its admins only: ``for_user(…, ADMIN)``, a 404 for its other members).

Every page takes the establishment from ``Establishment.objects.for_user`` (another
establishment's page is a 404); pages and actions that write ask it for ``CHANGE`` or ``ADMIN``
(``establishments.access``: a viewer gets a 403). The shift board lives in ``missions`` (it shows
proposals and missions).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from establishments import selectors, services
from establishments.access import (
    establishment_allows,
    establishment_or_404,
    establishment_require,
    is_establishment_member,
    row_to_change_or_404,
)
from establishments.csv_import import COLUMNS, shifts_import_csv, template_csv
from establishments.forms import (
    SHIFT_FIELD_MAP,
    EstablishmentRegisterForm,
    IntegrationTokenForm,
    InvitationForm,
    ShiftForm,
    ShiftImportForm,
    ShiftSeriesForm,
    ShiftShareForm,
    SwitchForm,
    UnitForm,
)
from establishments.models import Establishment, IntegrationToken, Shift, Unit
from establishments.selectors_tokens import integration_tokens_of
from establishments.services import shift_times
from establishments.services_tokens import integration_token_create
from establishments.services_tokens import integration_token_revoke as integration_token_revoke_service
from ville_hopital.access import ADMIN, CHANGE, VIEW, Action
from ville_hopital.forms import (
    apply_service_errors,
    form_error_text,
    invalid_form_response,
    service_error_text,
)
from ville_hopital.mixins import role_required
from ville_hopital.reauthentication import require_second_factor_again


def _establishment(request: HttpRequest, pk: int, action: Action = VIEW) -> Establishment:
    establishment = establishment_or_404(request.user, pk, action)
    selectors.set_current_establishment(request, establishment)
    return establishment


def _writable(request: HttpRequest, pk: int) -> Establishment:
    return _establishment(request, pk, CHANGE)


def _context(request: HttpRequest, establishment: Establishment, **extra) -> dict:
    return {
        "establishment": establishment,
        "can_write": establishment_allows(request.user, establishment, CHANGE),
        "is_admin": establishment_allows(request.user, establishment, ADMIN),
        "my_establishments": selectors.my_establishments(user=request.user),
        **extra,
    }


@role_required(is_establishment_member)
def home(request: HttpRequest) -> HttpResponse:
    establishment = selectors.current_establishment(request)
    return redirect("establishments:detail", pk=establishment.pk)


@login_required
def onboarding(request: HttpRequest) -> HttpResponse:
    """Register an establishment. A member may register another site too (pooling)."""
    form = EstablishmentRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            establishment = services.establishment_register(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            selectors.set_current_establishment(request, establishment)
            messages.success(
                request,
                _("%(name)s est enregistré. L'équipe Ville-Hôpital va le vérifier ; vous serez prévenu(e) par e-mail.")
                % {"name": establishment.name},
            )
            return redirect("establishments:detail", pk=establishment.pk)
    return render(
        request, "establishments/onboarding.html",
        {"form": form, "is_member": is_establishment_member(request.user)},
    )


@role_required(is_establishment_member)
@require_POST
def switch(request: HttpRequest) -> HttpResponse:
    form = SwitchForm(request.POST)
    if not form.is_valid():
        return invalid_form_response(request, form)
    establishment = _establishment(request, form.cleaned_data["establishment"])
    return redirect("establishments:detail", pk=establishment.pk)


@role_required(is_establishment_member)
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    establishment = _establishment(request, pk)
    return render(
        request, "establishments/detail.html",
        _context(
            request, establishment,
            units=selectors.units_of(user=request.user, establishment=establishment),
            upcoming=selectors.upcoming_shift_count(user=request.user, establishment=establishment),
            siblings=selectors.sibling_sites(user=request.user, establishment=establishment),
        ),
    )


@role_required(is_establishment_member)
def members(request: HttpRequest, pk: int) -> HttpResponse:
    establishment = _establishment(request, pk)
    form = InvitationForm(request.POST or None)
    if request.method == "POST":
        establishment_require(request.user, establishment, ADMIN)
        # Inviting gives access to the establishment: a recent second factor, else allauth asks for it
        # and then sends this invitation.
        require_second_factor_again(request)
        if form.is_valid():
            try:
                services.member_invitation_create(actor=request.user, establishment=establishment, **form.cleaned_data)
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                messages.success(request, _("Invitation envoyée à %(email)s.") % {"email": form.cleaned_data["email"]})
                return redirect("establishments:members", pk=establishment.pk)
    return render(
        request, "establishments/members.html",
        _context(
            request, establishment, form=form,
            members=selectors.members_of(user=request.user, establishment=establishment),
            invitations=selectors.open_invitations(user=request.user, establishment=establishment),
        ),
    )


@login_required
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    if request.method == "POST":
        try:
            membership = services.member_invitation_accept(actor=request.user, token=token)
        except ValidationError as error:
            messages.error(request, service_error_text(error))
            return redirect("home")
        selectors.set_current_establishment(request, membership.establishment)
        messages.success(request, _("Vous avez rejoint %(name)s.") % {"name": membership.establishment.name})
        return redirect("establishments:detail", pk=membership.establishment_id)
    return render(request, "establishments/invitation_accept.html", {"token": token})


@role_required(is_establishment_member)
def unit_create(request: HttpRequest, pk: int) -> HttpResponse:
    establishment = _writable(request, pk)
    form = UnitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.unit_create(actor=request.user, establishment=establishment, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Unité « %(name)s » ajoutée.") % {"name": form.cleaned_data["name"]})
            return redirect("establishments:detail", pk=establishment.pk)
    return render(
        request, "establishments/unit_form.html", _context(request, establishment, form=form, unit=None)
    )


@role_required(is_establishment_member)
def unit_update(request: HttpRequest, pk: int) -> HttpResponse:
    unit = get_object_or_404(Unit.objects.for_user(request.user, VIEW).select_related("establishment"), pk=pk)
    establishment = _writable(request, unit.establishment_id)
    form = UnitForm(request.POST or None, instance=Unit.objects.get(pk=unit.pk))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in services.UNIT_FIELDS}
        try:
            services.unit_update(actor=request.user, unit=unit, **changes)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Unité « %(name)s » enregistrée.") % {"name": unit.name})
            return redirect("establishments:detail", pk=establishment.pk)
    return render(request, "establishments/unit_form.html", _context(request, establishment, form=form, unit=unit))


@role_required(is_establishment_member)
def shift_create(request: HttpRequest, pk: int) -> HttpResponse:
    establishment = _writable(request, pk)
    form = ShiftForm(
        request.POST or None, establishment=establishment, can_share=establishment_allows(request.user, establishment, ADMIN)
    )
    if request.method == "POST" and form.is_valid() and (times := form.times()):
        starts_at, ends_at = shift_times(form.cleaned_data["day"], *times)
        try:
            shift = services.shift_post(actor=request.user, spec=form.spec(), starts_at=starts_at, ends_at=ends_at)
        except ValidationError as error:
            apply_service_errors(form, error, SHIFT_FIELD_MAP)
        else:
            messages.success(
                request,
                _("Vacation publiée : %(unit)s, %(when)s%(urgent)s.")
                % {
                    "unit": shift.unit.name,
                    "when": timezone.localtime(shift.starts_at).strftime("%d/%m/%Y %H:%M"),
                    "urgent": _(" (urgente)") if shift.is_urgent() else "",
                },
            )
            return redirect("missions:hr_board", pk=establishment.pk)
    return render(request, "establishments/shift_form.html", _context(request, establishment, form=form))


@role_required(is_establishment_member)
def shift_series_create(request: HttpRequest, pk: int) -> HttpResponse:
    establishment = _writable(request, pk)
    form = ShiftSeriesForm(
        request.POST or None, establishment=establishment, can_share=establishment_allows(request.user, establishment, ADMIN)
    )
    if request.method == "POST" and form.is_valid() and (times := form.times()):
        data = form.cleaned_data
        try:
            series = services.shift_series_post(
                actor=request.user, spec=form.spec(), first_day=data["first_day"], weekdays=data["weekdays"],
                weeks=data["weeks"], start=times[0], end=times[1],
            )
        except ValidationError as error:
            apply_service_errors(form, error, {"starts_at": "first_day", "ends_at": "end"})
        else:
            published = series.shifts.count()
            messages.success(
                request,
                ngettext("%(count)s vacation publiée (%(rule)s).", "%(count)s vacations publiées (%(rule)s).", published)
                % {"count": published, "rule": series.rule},
            )
            return redirect("missions:hr_board", pk=establishment.pk)
    return render(request, "establishments/shift_series_form.html", _context(request, establishment, form=form))


def _import_message(report) -> str:
    """What an import did, the lines of a file imported before included (they create nothing)."""
    parts = []
    if report.created:
        parts.append(ngettext("%(count)s vacation importée.", "%(count)s vacations importées.", report.created)
                     % {"count": report.created})
    if report.already_imported:
        parts.append(ngettext("%(count)s ligne déjà importée auparavant : rien de nouveau pour elle.",
                              "%(count)s lignes déjà importées auparavant : rien de nouveau pour elles.",
                              report.already_imported) % {"count": report.already_imported})
    return " ".join(parts)


@role_required(is_establishment_member)
def shift_import(request: HttpRequest, pk: int) -> HttpResponse:
    establishment = _writable(request, pk)
    form = ShiftImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        report = shifts_import_csv(
            actor=request.user, establishment=establishment, file=form.cleaned_data["file"]
        )
        if report.ok:
            messages.success(request, _import_message(report))
            return redirect("missions:hr_board", pk=establishment.pk)
    return render(
        request, "establishments/shift_import.html",
        _context(request, establishment, form=form, report=report, columns=COLUMNS),
    )


@login_required
def shift_import_template(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The generic template, or (``pk``) one pre-filled with that establishment's units and professions."""
    establishment = get_object_or_404(Establishment.objects.for_user(request.user), pk=pk) if pk else None
    response = HttpResponse(template_csv(establishment).encode("utf-8"), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="modele-vacations.csv"'
    return response


@role_required(is_establishment_member)
@require_POST
def shift_share(request: HttpRequest, pk: int) -> HttpResponse:
    # The admin's action on one of their site's shifts: a sister site's shared shift is a 404, a
    # member who is not its admin gets a 403 before the form is read.
    shift = row_to_change_or_404(Shift.objects.select_related("establishment"), request.user, pk,
                                 establishment="establishment_id")
    establishment_require(request.user, shift.establishment, ADMIN)
    form = ShiftShareForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_error_text(form))
        return redirect("missions:hr_board", pk=shift.establishment_id)
    shared = form.cleaned_data["shared"]
    try:
        services.shift_share_with_legal_entity(actor=request.user, shift=shift, shared=shared)
    except ValidationError as error:
        messages.error(request, service_error_text(error))
    else:
        messages.success(
            request,
            _("Vacation partagée avec les autres sites de l'entité juridique.") if shared
            else _("Vacation réservée à votre site."),
        )
    return redirect("missions:hr_board", pk=shift.establishment_id)


# --------------------------------------------------------------------------- integration tokens


def _administered(request: HttpRequest, pk: int) -> Establishment:
    """The establishment, for one of its admins; a 404 for anyone else (its HR and viewers too)."""
    establishment = get_object_or_404(Establishment.objects.for_user(request.user, ADMIN), pk=pk)
    selectors.set_current_establishment(request, establishment)
    return establishment


@role_required(is_establishment_member)
def integration_tokens(request: HttpRequest, pk: int) -> HttpResponse:
    """The establishment's integration tokens and the form creating one. The new secret is shown on
    the answer to the POST itself (not after a redirect: it is never kept anywhere to be shown again),
    with ``Cache-Control: no-store``."""
    establishment = _administered(request, pk)
    form = IntegrationTokenForm(request.POST or None)
    if request.method == "POST":
        # A token gives access to the establishment, as an invitation does: a recent second factor.
        require_second_factor_again(request)
        if form.is_valid():
            try:
                token, secret = integration_token_create(
                    actor=request.user, establishment=establishment, **form.token_fields(),
                )
            except ValidationError as error:
                apply_service_errors(form, error)
            else:
                response = render(request, "establishments/integration_token_created.html",
                                  _context(request, establishment, token=token, secret=secret))
                response["Cache-Control"] = "no-store"
                return response
    return render(request, "establishments/integration_tokens.html", _context(
        request, establishment, form=form, now=timezone.now(),
        tokens=integration_tokens_of(user=request.user, establishment=establishment),
    ))


@role_required(is_establishment_member)
def integration_token_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the confirmation; POST: revoke, back to the list."""
    token = get_object_or_404(IntegrationToken.objects.for_user(request.user, ADMIN).select_related("establishment"), pk=pk)
    establishment = _administered(request, token.establishment_id)
    if request.method == "POST":
        integration_token_revoke_service(actor=request.user, token=token)
        messages.success(request, _("Jeton « %(name)s » révoqué : il ne permet plus d'accéder à l'API.") % {"name": token.name})
        return redirect("establishments:integration_tokens", pk=establishment.pk)
    return render(request, "establishments/integration_token_revoke.html", _context(request, establishment, token=token))
