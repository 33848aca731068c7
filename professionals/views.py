"""The professional's own pages: home, profile, credentials, availability calendar, calendar feed.

Proposals, missions and earnings are pages of ``missions`` (missions.booking.views.professional).
Every object is read through ``.for_user(request.user)``: another person's id is a 404.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import UTC, date
from urllib.parse import urlencode, urlsplit

import icalendar
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from accounts.models import Civility
from establishments.access import is_establishment_member
from notifications.phones import mobile_display
from notifications.selectors import sms_choice_for
from professionals import calendar as cal
from professionals.forms import CalendarForm, CredentialForm, ProfileForm, ShortcutForm
from professionals.models import Credential, Professional, slot_bounds
from professionals.selectors import (
    CalendarMonth,
    calendar_month,
    confirmed_missions_for_feed,
    declared_slots,
    insurance_status,
    month_grid_key,
    my_credentials,
    professional_of,
    upcoming_booked_missions,
)
from professionals.services import (
    availability_month_save,
    calendar_token_regenerate,
    credential_delete,
    credential_download_record,
    credential_upload,
    professional_create,
    professional_update,
)
from ville_hopital.access import CHANGE
from ville_hopital.forms import apply_service_errors
from ville_hopital.mixins import is_professional, role_required
from ville_hopital.money import format_amount
from ville_hopital.months import month_days, previous_month
from ville_hopital.proxies import client_ip

ERROR_LABELS = {"slots": gettext_lazy("Créneaux"), "shortcut_days": gettext_lazy("Raccourci")}


def _civility_answer(user) -> dict:
    """The civility the person gave (at sign-up or on this form), ticked again; « not stated »
    ticks nothing, as when the question was never answered: the form pre-selects no answer."""
    return {"civility": user.civility} if user.civility != Civility.NOT_STATED else {}


def _me(request: HttpRequest) -> Professional:
    professional = professional_of(request.user)
    if professional is None:
        raise Http404
    return professional


@role_required(is_professional)
def home(request: HttpRequest) -> HttpResponse:
    professional = _me(request)
    return render(
        request,
        "professionals/home.html",
        {
            "professional": professional,
            "sms": sms_choice_for(request.user),
            "insurance": insurance_status(professional),
            "next_missions": upcoming_booked_missions(professional)[:3],
            "feed_url": request.build_absolute_uri(
                reverse("professionals:calendar_feed", args=[professional.calendar_token])
            ),
        },
    )


@login_required
def profile_create(request: HttpRequest) -> HttpResponse:
    """Where a new professional lands after verifying their email."""
    if is_professional(request.user):
        return redirect("professionals:profile_edit")
    if is_establishment_member(request.user):
        return redirect("establishments:home")
    form = ProfileForm(request.POST or None, initial=_civility_answer(request.user), civility=request.user.civility)
    if request.method == "POST" and form.is_valid():
        try:
            professional_create(actor=request.user, **form.service_kwargs())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Profil enregistré. Déclarez maintenant vos disponibilités."))
            return _verify_phone_or(request, reverse("professionals:calendar_current"))
    return render(request, "professionals/profile_form.html", {"form": form, "creating": True})


def _verify_phone_or(request: HttpRequest, target: str) -> HttpResponse:
    """Someone who asked for urgent offers by SMS with a number not yet verified goes to the
    verification page first (then on to ``target``): until then no SMS can reach them."""
    choice = sms_choice_for(request.user)
    if choice.urgent_sms and choice.phone and not choice.number:
        messages.info(request, _("Vérifiez votre numéro de mobile : sans cela, les offres urgentes ne peuvent pas partir par SMS."))
        return redirect(f"{reverse('notifications:phone')}?{urlencode({'next': target})}")
    return redirect(target)


@role_required(is_professional)
def profile_edit(request: HttpRequest) -> HttpResponse:
    professional = _me(request)
    initial = {
        "profession": professional.profession, "rpps": professional.rpps or "", "adeli": professional.adeli or "",
        "skills": professional.skills.all(), "home_commune": professional.home_commune,
        "radius_km": professional.radius_km, "max_missions_per_month": professional.max_missions_per_month,
        "min_notice_hours": professional.min_notice_hours, "expected_hourly_rate": professional.expected_hourly_rate,
        "blocked_establishments": professional.blocked_establishments.all(),
    }
    sms = sms_choice_for(request.user)
    initial.update(phone=mobile_display(sms.phone), urgent_sms=sms.urgent_sms, night_sms=sms.night_sms)
    initial.update(_civility_answer(request.user))
    form = ProfileForm(request.POST or None, initial=initial, civility=request.user.civility)
    if request.method == "POST" and form.is_valid():
        try:
            professional_update(actor=request.user, professional=professional, **form.service_kwargs())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Profil mis à jour."))
            return _verify_phone_or(request, reverse("professionals:home"))
    return render(
        request,
        "professionals/profile_form.html",
        {"form": form, "creating": False, "insurance": insurance_status(professional), "sms": sms},
    )


# --------------------------------------------------------------------------- credentials


@role_required(is_professional)
def credentials(request: HttpRequest) -> HttpResponse:
    professional = _me(request)
    form = CredentialForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            credential_upload(actor=request.user, professional=professional, **form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Document enregistré."))
            return redirect("professionals:credentials")
    return render(
        request,
        "professionals/credentials.html",
        {"form": form, "credentials": my_credentials(user=request.user), "insurance": insurance_status(professional)},
        status=400 if form.errors else 200,
    )


@login_required
def credential_download(request: HttpRequest, pk: int) -> FileResponse:
    """The owner, and members of an establishment with a mission with the professional."""
    credential = get_object_or_404(Credential.objects.for_user(request.user).select_related("professional"), pk=pk)
    response = FileResponse(
        credential.file.open("rb"), as_attachment=True, filename=credential.original_name,
        content_type=credential.content_type,
    )
    credential_download_record(actor=request.user, credential=credential, ip=client_ip(request))  # the file opened
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@role_required(is_professional)
def credential_remove(request: HttpRequest, pk: int) -> HttpResponse:
    credential = get_object_or_404(Credential.objects.for_user(request.user, CHANGE), pk=pk)
    credential_delete(actor=request.user, credential=credential)
    messages.success(request, _("Document supprimé."))
    return redirect("professionals:credentials")


# --------------------------------------------------------------------------- calendar


@role_required(is_professional)
def calendar_current(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return redirect("professionals:calendar", year=today.year, month=today.month)


def _month_slots(professional: Professional, year: int, month: int, data: dict) -> set[cal.SlotKey]:
    """The slots the month is to hold: those ticked, plus what the pressed button adds (none, or all
    cleared); shortcuts and copies skip the past."""
    action = data["action"]
    if action == "clear":
        return set()
    added: set[cal.SlotKey] = set()
    if action == "shortcut":
        added = cal.shortcut_slots(year, month, data["shortcut_days"] or "all", data["shortcut_slots"] or "DN")
    elif action == "copy":
        previous = month_days(previous_month(date(year, month, 1)))
        added = cal.copy_previous_month(declared_slots(professional, previous[0], previous[-1]), year, month)
    now = timezone.now()
    return data["slots"] | {k for k in added if slot_bounds(*k)[0] > now}


@role_required(is_professional)
def calendar(request: HttpRequest, year: int, month: int) -> HttpResponse:
    """The month grid. One POST saves the whole month; the shortcut and copy buttons add slots to
    what is ticked and save too (without JavaScript they are the only way; with it, calendar.js
    ticks the boxes in the page and the user saves)."""
    professional = _me(request)
    months_ahead = cal.months_ahead(year, month, today=timezone.localdate())
    if months_ahead is None:
        raise Http404
    form = CalendarForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            added, removed = availability_month_save(
                actor=request.user, professional=professional, year=year, month=month,
                slots=_month_slots(professional, year, month, form.cleaned_data),
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(
                request,
                _("Disponibilités enregistrées (%(added)s, %(removed)s).")
                % {
                    "added": ngettext("%(n)s créneau ajouté", "%(n)s créneaux ajoutés", added) % {"n": added},
                    "removed": ngettext("%(n)s retiré", "%(n)s retirés", removed) % {"n": removed},
                },
            )
            return redirect("professionals:calendar", year=year, month=month)
    errors = [
        (ERROR_LABELS.get(field, form.fields[field].label if field in form.fields else ""), message)
        for field, messages_ in form.errors.items()
        for message in messages_
    ]
    month_view = calendar_month(professional, year, month)
    grid = month_grid_html(month_view, professional=professional)
    previous_ok = month_view.previous.year >= cal.CALENDAR_FIRST_YEAR
    next_ok = months_ahead < cal.CALENDAR_MONTHS_AHEAD
    return render(
        request,
        "professionals/calendar.html",
        {
            "cal": month_view,
            "grid": grid,
            "errors": errors,
            "shortcut_form": form if not errors else ShortcutForm(),
            "previous_ok": previous_ok,
            "next_ok": next_ok,
            "copy_values": " ".join(sorted(cal.slot_value(d, s) for d, s in month_view.copy_candidates)),
        },
        status=400 if errors else 200,
    )


#: The month grid (``calendar``): some 60 cells, the larger part of the page's rendering.
MONTH_GRID_TEMPLATE = "professionals/_month_grid.html"
#: How long an unchanged grid is kept (its key changes with what it shows, so this bounds only memory).
MONTH_GRID_SECONDS = 3600


@functools.cache
def _month_grid_revision() -> str:
    """The grid template's own digest, in its key: a deployed change of the template is a new key."""
    source = get_template(MONTH_GRID_TEMPLATE).template.source
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def month_grid_html(month_view: CalendarMonth, *, professional: Professional) -> str:
    """The grid's HTML, from the cache when the same grid was rendered before (``month_grid_key``)."""
    key = month_grid_key(month_view, professional_id=professional.pk, revision=_month_grid_revision())
    html = cache.get(key)
    if html is None:
        html = render_to_string(MONTH_GRID_TEMPLATE, {"cal": month_view})
        cache.set(key, html, MONTH_GRID_SECONDS)
    return mark_safe(html)  # noqa: S308  (our template's output, escaped when it was rendered)


# --------------------------------------------------------------------------- iCalendar feed


@require_POST
@role_required(is_professional)
def calendar_token_renew(request: HttpRequest) -> HttpResponse:
    calendar_token_regenerate(actor=request.user, professional=_me(request))
    messages.success(request, _("Nouvelle adresse d'agenda créée : l'ancienne ne fonctionne plus."))
    return redirect("professionals:home")


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Private iCalendar feed (the token is the secret: calendar apps do not log in)."""
    professional = Professional.objects.filter(calendar_token=token).first() if len(token) >= 32 else None
    if professional is None:
        raise Http404
    feed = icalendar.Calendar()
    feed.add("prodid", "-//Ville-Hôpital//Missions//FR")
    feed.add("version", "2.0")
    feed.add("calscale", "GREGORIAN")
    feed.add("method", "PUBLISH")
    feed.add("x-published-ttl", "PT1H")  # how often calendar apps should fetch it again
    feed.add("x-wr-calname", _("Missions Ville-Hôpital"))
    feed.add("x-wr-timezone", "Europe/Paris")
    # The UID names the event for good: built from the site's own address, not from the host this
    # fetch came through (a proxy, an IP, a renamed host), so a calendar never sees a mission twice.
    host = urlsplit(settings.SITE_URL).hostname or "ville-hopital.fr"
    for mission in confirmed_missions_for_feed(professional):
        shift = mission.shift
        event = icalendar.Event()
        event.add("uid", f"mission-{mission.pk}@{host}")
        event.add("dtstamp", mission.booked_at.astimezone(UTC))
        event.add("dtstart", mission.starts_at.astimezone(UTC))
        event.add("dtend", mission.ends_at.astimezone(UTC))
        event.add("summary", f"{shift.unit.name} — {shift.establishment.name}")
        event.add("location", f"{shift.establishment.address}, {shift.establishment.commune.name}")
        description = [_("Rémunération : %(pay)s € HT") % {"pay": format_amount(mission.pay, currency=False)}]
        if shift.unit.where_to_go:
            description.append(_("Où se présenter : %(w)s") % {"w": shift.unit.where_to_go})
        if shift.unit.contact:
            description.append(_("Contact : %(c)s") % {"c": shift.unit.contact})
        event.add("description", "\n".join(description))
        event.add("status", "CONFIRMED")
        feed.add_component(event)
    response = HttpResponse(feed.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="ville-hopital.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
