"""The one paging block of every long list (``{% list_pager page %}``) and the heading of a group of
rows (``{% group_heading group 2 %}``): see ``ville_hopital.list_pages``."""

from __future__ import annotations

from django import template
from django.core.paginator import Page

from ville_hopital.list_pages import RowGroup

register = template.Library()


@register.inclusion_tag("includes/list_pager.html", takes_context=True)
def list_pager(context: template.Context, page: Page, label: str = "", filters: str = "") -> dict:
    """Previous / « Page n sur m » / next (and the first and last pages when they are further), each
    link keeping the query string's other parameters (the filters). ``label`` names the list for a
    screen reader; ``filters``: the id of the list's filter form, for a link back to it."""
    query = context["request"].GET.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    return {"page": page, "prefix": f"{encoded}&" if encoded else "", "label": label, "filters": filters}


@register.inclusion_tag("includes/group_heading.html")
def group_heading(group: RowGroup, level: int = 2, prefix: str = "group") -> dict:
    """A group's heading as a real heading (h2, h3…), with « (suite) » when it began on the previous page."""
    return {"group": group, "level": level, "id": f"{prefix}-{group.slug}"}
