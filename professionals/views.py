from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from ville_hopital.mixins import is_professional, role_required


@role_required(is_professional)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "professionals/home.html", {"professional": request.user.professional})


@login_required
def profile_create(request: HttpRequest) -> HttpResponse:
    if is_professional(request.user):
        return redirect("professionals:home")
    return render(request, "professionals/profile_create.html")
