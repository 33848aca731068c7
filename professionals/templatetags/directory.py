"""``{% directory_badge professional %}``: whether a professional's RPPS is verified in the national
directory, as a badge with text. Pages listing professionals compute every check of the page in
one query first (``professionals.selectors.set_directory_checks``); a page showing one professional
lets the tag ask for theirs."""

from __future__ import annotations

from django import template

from professionals.models import Professional
from professionals.selectors import set_directory_checks

register = template.Library()


@register.inclusion_tag("professionals/_directory_badge.html")
def directory_badge(professional: Professional) -> dict:
    if not hasattr(professional, "directory_check"):
        set_directory_checks([professional])
    return {"check": professional.directory_check}
