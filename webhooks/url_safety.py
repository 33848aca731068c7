"""Where a webhook may point: an HTTPS URL whose host resolves only to public addresses.

An establishment's admin chooses the URL and the platform calls it: without this check, a URL
naming ``localhost``, ``10.0.0.5``, ``169.254.169.254`` (a cloud's metadata service) or a name
resolving to one of them would make the platform reach inside its own network for them (SSRF).
The check runs when the subscription is written and again before every delivery, which then
connects to the very address checked (``transport``): a name re-pointed to a private address after
the subscription (DNS rebinding) is refused at the delivery.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

URL_MAX_LENGTH = 500

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def _embedded_ipv4(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 one carries (``::ffff:10.0.0.1``, 6to4, Teredo), else itself."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.sixtofour is not None:
            return address.sixtofour
        if address.teredo is not None:
            return address.teredo[1]
    return address


def address_refused(address: IPAddress, *, allow_loopback: bool = False) -> bool:
    """Private, loopback, link-local, multicast, reserved, unspecified or otherwise not global."""
    address = _embedded_ipv4(address)
    if allow_loopback and address.is_loopback:
        return False
    return (
        not address.is_global or address.is_private or address.is_loopback or address.is_link_local
        or address.is_multicast or address.is_reserved or address.is_unspecified
    )


def _refuse(message: str) -> ValidationError:
    return ValidationError({"url": message})


def _split(url: str) -> tuple[str, int]:
    """The host and port of an HTTPS URL, or the refusal saying what is wrong with it."""
    if len(url) > URL_MAX_LENGTH:
        raise _refuse(_("L'adresse ne doit pas dépasser %(max)d caractères.") % {"max": URL_MAX_LENGTH})
    try:
        parts = urlsplit(url)
        port = parts.port or 443
    except ValueError:
        raise _refuse(_("Cette adresse n'est pas une URL valide.")) from None
    if parts.scheme.lower() != "https":
        raise _refuse(_("L'adresse doit commencer par https:// : les livraisons sont chiffrées."))
    if not parts.hostname:
        raise _refuse(_("Cette adresse n'est pas une URL valide."))
    if parts.username is not None or parts.password is not None:
        raise _refuse(_("L'adresse ne doit contenir ni identifiant ni mot de passe : chaque livraison est signée."))
    return parts.hostname, port


def webhook_url_resolve(url: str) -> tuple[str, int, str]:
    """(host, port, the address to connect to) of ``url``, checked; else ``ValidationError`` on ``url``.

    Every address the host resolves to must be public (one private address among public ones is
    refused too: which one a client would pick is not ours to know). ``WEBHOOK_ALLOW_LOOPBACK``
    (tests only) lets the loopback through, nothing else.
    """
    host, port = _split(url.strip())
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise _refuse(_("Le nom « %(host)s » ne se résout pas en adresse.") % {"host": host}) from None
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in found]
    if not addresses:
        raise _refuse(_("Le nom « %(host)s » ne se résout pas en adresse.") % {"host": host})
    for address in addresses:
        if address_refused(address, allow_loopback=settings.WEBHOOK_ALLOW_LOOPBACK):
            raise _refuse(_(
                "« %(host)s » désigne une adresse privée, locale ou réservée (%(address)s) : "
                "une adresse publique est nécessaire."
            ) % {"host": host, "address": address})
    return host, port, str(addresses[0])
