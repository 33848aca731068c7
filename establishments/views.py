from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from establishments.models import Establishment
from ville_hopital.mixins import is_establishment_member, role_required


@role_required(is_establishment_member)
def home(request: HttpRequest) -> HttpResponse:
    establishments = Establishment.objects.for_user(request.user).select_related("type", "commune")
    return render(request, "establishments/home.html", {"establishments": establishments})


@login_required
def onboarding(request: HttpRequest) -> HttpResponse:
    if is_establishment_member(request.user):
        return redirect("establishments:home")
    return render(request, "establishments/onboarding.html")
