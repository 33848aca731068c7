"""ARS dashboard pages and exports: read-only, scoped by ``selectors.scope_for`` (404 otherwise).

Pages: the overview (headline figures, weekly trend, bars and map by département, tables by
département / profession / establishment type), the establishments ranked by fill rate, and the
shortages (profession × département). Every table exports as CSV and XLSX with the same filters.
"""

from __future__ import annotations

from datetime import date

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboards import charts, tables
from dashboards.forms import FilterForm
from dashboards.selectors import (
    NATIONAL,
    Scope,
    data_as_of,
    establishment_ranking_read,
    has_dashboard_access,
    lowest_establishments_read,
    overview_read,
    regions_for,
    scope_for,
    shortage_window,
    shortages_read,
)
from dashboards.services import dashboard_export_record
from ville_hopital.mixins import role_required

BARS_SHOWN_NATIONALLY = 25
dashboard_access = role_required(has_dashboard_access)


def today() -> date:
    return timezone.localdate()


@dashboard_access
def home(request: HttpRequest) -> HttpResponse:
    """An ARS agent goes straight to their region; platform staff choose a region or France."""
    regions = regions_for(request.user)
    if not request.user.is_staff:
        return redirect("dashboards:overview", scope=regions.get().code)
    return render(request, "dashboards/home.html", {"regions": regions, "national": NATIONAL})


def _page(request: HttpRequest, scope_code: str, tab: str) -> tuple[Scope, FilterForm, dict]:
    scope = scope_for(request.user, scope_code)
    form = FilterForm(request.GET, scope=scope, today=today())
    context = {
        "scope": scope,
        "form": form,
        "tab": tab,
        "query": form.query_string(),
        "data_as_of": data_as_of(),
        "is_staff": request.user.is_staff,
    }
    if form.is_valid():
        context["filters"] = form.filters()
    return scope, form, context


def _invalid(request: HttpRequest, template: str, context: dict) -> HttpResponse:
    return render(request, template, context, status=400)


@dashboard_access
def overview_page(request: HttpRequest, scope: str) -> HttpResponse:
    scope_obj, form, context = _page(request, scope, "overview")
    if not form.is_valid():
        return _invalid(request, "dashboards/overview.html", context)
    filters, day = context["filters"], today()
    o = overview_read(scope_obj, filters, day, context["data_as_of"])
    by_dep = sorted(o.by_departement.items(), key=lambda item: (item[1].fill_rate is None, item[1].fill_rate or 0))
    if scope_obj.is_national:
        by_dep = by_dep[:BARS_SHOWN_NATIONALLY]
    bars = [
        charts.Bar(f"{code} {o.departement_names.get(code, '')}", f.fill_rate, f.posted, f.filled) for code, f in by_dep
    ]
    points = []
    for code, name in o.departement_names.items():
        f = o.by_departement.get(code)
        points.append(charts.MapPoint(code, name, f.fill_rate if f else None, f.posted if f else 0))
    context.update(
        overview=o,
        total=o.total,
        trend_svg=charts.trend_svg(o.weeks),
        bars_svg=charts.bars_svg(bars),
        bars_truncated=scope_obj.is_national,
        map_svg=charts.map_svg(points),
        legend=charts.legend_labels(),
        tables=[builder(o) for builder in tables.OVERVIEW_TABLES.values()],
    )
    return render(request, "dashboards/overview.html", context)


@dashboard_access
def establishments_page(request: HttpRequest, scope: str) -> HttpResponse:
    scope_obj, form, context = _page(request, scope, "establishments")
    if not form.is_valid():
        return _invalid(request, "dashboards/establishments.html", context)
    # The page reads (and caches) only the rows it shows.
    shown, total = lowest_establishments_read(scope_obj, context["filters"], today(), context["data_as_of"])
    context.update(table=tables.establishment_table(shown), total_rows=total, shown=len(shown))
    return render(request, "dashboards/establishments.html", context)


@dashboard_access
def shortages_page(request: HttpRequest, scope: str) -> HttpResponse:
    scope_obj, form, context = _page(request, scope, "shortages")
    if not form.is_valid():
        return _invalid(request, "dashboards/shortages.html", context)
    filters, day = context["filters"], today()
    rows = shortages_read(scope_obj, filters, day, context["data_as_of"])
    context.update(table=tables.shortage_table(rows), window=shortage_window(filters, day))
    return render(request, "dashboards/shortages.html", context)


def build_table(scope: Scope, name: str, filters, day: date) -> tables.Table:
    version = data_as_of()
    if name in tables.OVERVIEW_TABLES:
        return tables.OVERVIEW_TABLES[name](overview_read(scope, filters, day, version))
    if name == "etablissements":
        return tables.establishment_table(establishment_ranking_read(scope, filters, day, version))
    if name == "penuries":
        return tables.shortage_table(shortages_read(scope, filters, day, version))
    raise Http404


@dashboard_access
def export(request: HttpRequest, scope: str, table: str, fmt: str) -> HttpResponse:
    """Every table as CSV or XLSX, all rows (the establishments page shows only the lowest ones)."""
    if table not in tables.EXPORTABLE or fmt not in ("csv", "xlsx"):
        raise Http404
    scope_obj = scope_for(request.user, scope)
    form = FilterForm(request.GET, scope=scope_obj, today=today())
    if not form.is_valid():
        messages = [str(m) for errors in form.errors.values() for m in errors]
        return HttpResponse("\n".join(messages), status=400, content_type="text/plain; charset=utf-8")
    filters = form.filters()
    built = build_table(scope_obj, table, filters, today())
    filename = tables.export_filename(scope_obj.code, built, filters.slug(), fmt)
    if fmt == "csv":
        response = HttpResponse(tables.to_csv(built), content_type="text/csv; charset=utf-8")
    else:
        context = [
            (_("Territoire"), scope_obj.name),
            (_("Du"), filters.start.isoformat()),
            (_("Au"), filters.end.isoformat()),
            (_("Département"), filters.departement or _("tous")),
            (_("Profession"), filters.profession or _("toutes")),
            (_("Extrait le"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
        ]
        response = HttpResponse(
            tables.to_xlsx(built, context),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    dashboard_export_record(actor=request.user, scope=scope_obj, table=table, fmt=fmt, filters=filters)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
