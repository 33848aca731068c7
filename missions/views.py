from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from ville_hopital.roles import home_url_for


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect(home_url_for(request.user))
