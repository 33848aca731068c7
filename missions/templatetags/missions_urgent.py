"""``{% urgent_unfilled_banner establishment %}``: the banner « 3 postes urgents non pourvus dans les
48 h » on the establishment's home. A tag, because that page belongs to ``establishments``, which
may not import ``missions`` (where missions, and so what is filled, are known)."""

from __future__ import annotations

from django import template

from missions.booking.selectors_hr import urgent_unfilled_positions

register = template.Library()


@register.inclusion_tag("missions/hr/_urgent_banner.html", takes_context=True)
def urgent_unfilled_banner(context, establishment) -> dict:
    user = context["request"].user
    return {"count": urgent_unfilled_positions(user=user, establishment=establishment), "establishment": establishment}
