"""An establishment admin's webhook pages: the list with the creation form (the secret is shown
once, in the answer to the creation), delete, re-enable, and a subscription's deliveries log.

The establishment is read with ``Establishment.objects.for_user(user, ADMIN)`` and the subscription
with ``WebhookSubscription.objects.for_user(user, ADMIN)``: HR, viewers and strangers get a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from establishments import selectors as establishment_selectors
from establishments.models import Establishment
from ville_hopital.access import ADMIN
from ville_hopital.forms import apply_service_errors, service_error_text
from ville_hopital.list_pages import list_page
from webhooks import selectors, services
from webhooks.forms import WebhookForm
from webhooks.models import WebhookSubscription

DELIVERIES_PER_PAGE = 25


def _administered(request: HttpRequest, establishment_id: int) -> Establishment:
    establishment = get_object_or_404(Establishment.objects.for_user(request.user, ADMIN), pk=establishment_id)
    establishment_selectors.set_current_establishment(request, establishment)
    return establishment


def _subscription(request: HttpRequest, establishment: Establishment, webhook_id: int) -> WebhookSubscription:
    mine = WebhookSubscription.objects.for_user(request.user, ADMIN).filter(establishment=establishment)
    return get_object_or_404(mine, pk=webhook_id)


def _context(request: HttpRequest, establishment: Establishment, **extra) -> dict:
    """What the establishment's header needs (``establishments/_header.html``): the reader is an admin."""
    return {
        "establishment": establishment, "can_write": True, "is_admin": True,
        "my_establishments": establishment_selectors.my_establishments(user=request.user),
        **extra,
    }


@never_cache  # the answer to a creation shows the secret: no cache keeps it
@login_required
def webhook_list(request: HttpRequest, establishment_id: int) -> HttpResponse:
    establishment = _administered(request, establishment_id)
    form = WebhookForm(request.POST or None)
    created = secret = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                created, secret = services.webhook_subscription_create(
                    actor=request.user, establishment=establishment, **form.cleaned_data
                )
            except ValidationError as error:
                apply_service_errors(form, error)
        if created is None:
            status = 400
        else:
            form = WebhookForm()
    subscriptions = selectors.subscriptions_of(user=request.user, establishment=establishment)
    return render(
        request, "webhooks/list.html",
        _context(request, establishment, form=form, subscriptions=subscriptions, created=created, secret=secret),
        status=status,
    )


@login_required
@require_POST
def webhook_delete(request: HttpRequest, establishment_id: int, webhook_id: int) -> HttpResponse:
    establishment = _administered(request, establishment_id)
    subscription = _subscription(request, establishment, webhook_id)
    services.webhook_subscription_delete(actor=request.user, subscription=subscription)
    messages.success(request, _("Webhook supprimé : %(url)s.") % {"url": subscription.url})
    return redirect("webhooks:list", establishment_id=establishment.pk)


@login_required
@require_POST
def webhook_enable(request: HttpRequest, establishment_id: int, webhook_id: int) -> HttpResponse:
    establishment = _administered(request, establishment_id)
    subscription = _subscription(request, establishment, webhook_id)
    try:
        services.webhook_subscription_enable(actor=request.user, subscription=subscription)
    except ValidationError as error:
        messages.error(request, service_error_text(error))
    else:
        messages.success(request, _("Webhook réactivé : %(url)s.") % {"url": subscription.url})
    return redirect("webhooks:list", establishment_id=establishment.pk)


@login_required
def webhook_deliveries(request: HttpRequest, establishment_id: int, webhook_id: int) -> HttpResponse:
    establishment = _administered(request, establishment_id)
    subscription = _subscription(request, establishment, webhook_id)
    page = list_page(selectors.deliveries_of(user=request.user, subscription=subscription),
                     number=request.GET.get("page"), per_page=DELIVERIES_PER_PAGE)
    return render(request, "webhooks/deliveries.html",
                  _context(request, establishment, subscription=subscription, page=page,
                           weeks=selectors.deliveries_by_week(page)))
