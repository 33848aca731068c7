from django import template

from professionals.pro_sante_connect.adapter import psc_configured
from professionals.pro_sante_connect.selectors import psc_identity_of

register = template.Library()


@register.simple_tag
def pro_sante_connect_enabled() -> bool:
    return psc_configured()


@register.simple_tag
def pro_sante_connect_identity(user):
    return psc_identity_of(user)
