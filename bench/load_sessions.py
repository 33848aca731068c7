"""The pages ``bench/bench_load.py`` measures and a signed-in session for each (JSON on stdout).

Run with Django set up on the bench database (``python -m bench.load_sessions``). One person per
role, the one with the most to show, so the figure is the heavy end of each page.
"""

from __future__ import annotations

import json
import os
import sys

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ville_hopital.settings")
    django.setup()
    from django.apps import apps
    from django.conf import settings
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse
    from django.utils import timezone

    # Models by label: the bench reads the schema, whatever module a model lives in.
    Establishment = apps.get_model("establishments", "Establishment")
    Membership = apps.get_model("establishments", "Membership")
    Professional = apps.get_model("professionals", "Professional")
    ArsStaff = apps.get_model("accounts", "ArsStaff")
    Shift = apps.get_model("establishments", "Shift")
    Proposal = apps.get_model("missions", "Proposal")

    hr = (Membership.objects.filter(role="hr").annotate(n=Count("establishment__shifts"))
          .order_by("-n", "pk").select_related("user", "establishment").first())
    professional = (Professional.objects.annotate(n=Count("proposals")).order_by("-n", "pk")
                    .select_related("user").first())
    shifts_by_region = dict(Shift.objects.values_list("establishment__commune__region").annotate(n=Count("pk")))
    agent = max(ArsStaff.objects.select_related("user", "region").order_by("pk"),
                key=lambda staff: shifts_by_region.get(staff.region_id, 0), default=None)
    if not (hr and professional and agent):
        sys.exit("the bench database lacks an HR member, a professional or an ARS agent: seed it first")

    def session(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    rows = (f"{Professional.objects.count():,} professionals, {Establishment.objects.count():,} establishments, "
            f"{Shift.objects.count():,} shifts, {Proposal.objects.count():,} offers")
    hr_session, pro_session, ars_session = session(hr.user), session(professional.user), session(agent.user)
    today = timezone.localdate()
    pages = [
        ("HR shift board", reverse("missions:hr_board", args=[hr.establishment_id]), "HR", hr_session),
        ("availability calendar", reverse("professionals:calendar", args=[today.year, today.month]), "professional",
         pro_session),
        ("offers inbox", reverse("missions:proposals"), "professional", pro_session),
        ("ARS overview", reverse("dashboards:overview", args=[agent.region.code]), "ARS agent", ars_session),
        ("API commune search", reverse("api:commune-search") + "?q=mon", "professional", pro_session),
    ]
    json.dump([{"name": name, "path": path, "role": role, "session": key, "rows": rows}
               for name, path, role, key in pages], sys.stdout)


if __name__ == "__main__":
    main()
