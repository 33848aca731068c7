from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ville_hopital.mixins import is_ars_staff, role_required


@role_required(is_ars_staff)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "dashboards/home.html", {"region": request.user.ars_staff.region})
