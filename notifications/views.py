"""The notification centre and the preferences page. Thin: parse, call a service, render or redirect."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from notifications.forms import PhoneCodeForm, PhoneForm, PhoneStepForm, PreferencesForm
from notifications.models import Notification
from notifications.phones import mobile_display
from notifications.rendering import localise
from notifications.selectors import (
    events_for,
    notifications_by_week,
    notifications_for,
    phone_status,
    sms_choice_for,
    unread_count,
)
from notifications.services import (
    email_unsubscribe,
    language_for,
    notification_mark_read,
    notifications_mark_all_read,
    phone_verification_confirm,
    phone_verification_send,
    preferences_for,
    preferences_update,
    unsubscription_read,
)
from ville_hopital.forms import NextForm, apply_service_errors, form_error_text
from ville_hopital.list_pages import list_page

PAGE_SIZE = 25


@login_required
def centre(request: HttpRequest) -> HttpResponse:
    page = list_page(notifications_for(request.user), number=request.GET.get("page"), per_page=PAGE_SIZE)
    page.object_list = localise(page.object_list, reader=request.user)  # in the language of this request
    return render(request, "notifications/centre.html", {
        "page": page, "weeks": notifications_by_week(page), "unread": unread_count(request.user),
    })


@require_POST
@login_required
def mark_read(request: HttpRequest, pk: int) -> HttpResponse:
    form = NextForm(request.POST, request=request)
    if not form.is_valid():
        messages.error(request, form_error_text(form))
        return redirect("notifications:centre")
    try:
        notification_mark_read(actor=request.user, notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404 from None
    return redirect(form.cleaned_data["next"] or "notifications:centre")


@require_POST
@login_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = notifications_mark_all_read(actor=request.user)
    messages.success(request, _("%(count)d notification(s) marquée(s) comme lue(s).") % {"count": count})
    return redirect("notifications:centre")


@login_required
def preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = PreferencesForm(
        request.POST or None, events=events_for(user), current=preferences_for(user), language=language_for(user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            preferences_update(actor=user, language=form.cleaned_data["language"], choices=form.choices())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Vos préférences de notification sont enregistrées."))
            return redirect("notifications:preferences")
    return render(request, "notifications/preferences.html", {"form": form, "sms": sms_choice_for(user)})


@login_required
def phone(request: HttpRequest) -> HttpResponse:
    """The mobile number: enter it, receive a code by SMS, type the code. ``next`` (a page of this
    site) is where a verified number leads back to."""
    user = request.user
    posted = request.method == "POST"
    # a link's off-site ``next`` is only dropped; a sent form with one (or no step) does nothing and says why
    step = PhoneStepForm(request.POST, request=request) if posted else NextForm(request.GET, request=request)
    refused = not step.is_valid() and posted
    if refused:
        messages.error(request, form_error_text(step))
    action = step.cleaned_data.get("action") if step.is_valid() else None
    target = step.cleaned_data.get("next", "")
    phone_form = PhoneForm(request.POST if action == "send" else None,
                           initial={"phone": mobile_display(user.phone)})
    code_form = PhoneCodeForm(request.POST if action == "confirm" else None)
    form = {"send": phone_form, "confirm": code_form}.get(action or "")
    if form is not None and form.is_valid():
        try:
            if action == "send":
                phone_verification_send(actor=user, phone=form.cleaned_data["phone"])
            else:
                phone_verification_confirm(actor=user, code=form.cleaned_data["code"])
        except ValidationError as error:
            apply_service_errors(form, error)  # the services name this form's field: "phone" to send, "code" to confirm
        else:
            if action == "send":
                messages.success(request, _("Code envoyé par SMS au %(phone)s.") % {"phone": mobile_display(user.phone)})
                return redirect(f"{request.path}?{urlencode({'next': target})}" if target else request.path)
            messages.success(request, _("Numéro de mobile vérifié."))
            return redirect(target or request.path)
    return render(
        request, "notifications/phone.html",
        {"status": phone_status(user), "phone_form": phone_form, "code_form": code_form, "next": target},
        status=400 if refused or (form is not None and form.errors) else 200,
    )


@csrf_exempt  # the signed link is the credential: a mail provider's one-click POST has no cookie (RFC 8058)
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (a link opened by a person); POST unsubscribes (the button, or a mail provider's
    one-click ``List-Unsubscribe=One-Click``). A forged or damaged link is a 404."""
    unsubscription = unsubscription_read(token)
    if unsubscription is None:
        raise Http404
    if request.method == "POST":
        email_unsubscribe(unsubscription=unsubscription)
    return render(request, "notifications/unsubscribe.html",
                  {"unsubscription": unsubscription, "done": request.method == "POST"})
