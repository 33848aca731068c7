"""The audit trail's pages and CSV exports. Thin: ``selectors_audit.audit_events_for`` says what the
reader may read (else 404), the filters narrow it, the page shows ``PAGE_SIZE`` rows at a time."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from ville_hopital.audit import audit_export_record
from ville_hopital.list_pages import list_page
from ville_hopital.selectors_audit import (
    ACTION_SUGGESTIONS,
    EXPORT_MAX_ROWS,
    PAGE_SIZE,
    AuditFilters,
    AuditTrail,
    audit_csv,
    audit_events_for,
    audit_weeks,
)


def _page(request: HttpRequest, trail: AuditTrail) -> HttpResponse:
    filters = AuditFilters.from_query(request.GET)
    page = list_page(filters.apply(trail.events), number=request.GET.get("page"), per_page=PAGE_SIZE)
    weeks = audit_weeks(page)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/trail.html", {
        "trail": trail, "filters": filters, "page": page, "weeks": weeks,
        "rows": [row for week in weeks for row in week.rows], "query": query.urlencode(),
        "suggestions": ACTION_SUGGESTIONS, "export_max": EXPORT_MAX_ROWS,
    })


def _export(request: HttpRequest, trail: AuditTrail) -> HttpResponse:
    filters = AuditFilters.from_query(request.GET)
    events = list(filters.apply(trail.events)[:EXPORT_MAX_ROWS])
    audit_export_record(actor=request.user, target=trail.establishment or request.user, rows=len(events),
                        filters=filters.as_data())
    response = HttpResponse(audit_csv(events), content_type="text/csv; charset=utf-8")
    scope = f"etablissement-{trail.establishment.pk}" if trail.establishment else "compte"
    filename = f"journal-audit_{scope}_{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    return _page(request, audit_events_for(request.user))


@login_required
def mine_csv(request: HttpRequest) -> HttpResponse:
    return _export(request, audit_events_for(request.user))


@login_required
def establishment(request: HttpRequest, pk: int) -> HttpResponse:
    return _page(request, audit_events_for(request.user, establishment=pk))


@login_required
def establishment_csv(request: HttpRequest, pk: int) -> HttpResponse:
    return _export(request, audit_events_for(request.user, establishment=pk))
