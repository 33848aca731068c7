"""Rendering contracts to PDF (WeasyPrint) and hashing them. No database writes here."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from pypdf import PdfReader, PdfWriter

from reference.models import RouteKind

# One French template per allowed route; the forbidden route has none on purpose.
ROUTE_TEMPLATES: dict[str, str] = {
    RouteKind.CONVENTION_L6146_2: "contracts/convention_l6146_2.html",
    RouteKind.FIXED_TERM: "contracts/fixed_term.html",
    RouteKind.LIBERAL_SERVICE: "contracts/liberal_service.html",
}
SIGNATURE_PAGE_TEMPLATE = "contracts/signature_page.html"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def html_to_pdf(html: str) -> bytes:
    # Not a cycle: WeasyPrint takes ~0.9 s to import (Pango through cffi), and Django's start-up
    # imports this module (the contract tasks); loaded here, only the processes that draw a PDF pay it.
    from weasyprint import HTML

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def render_contract_pdf(*, route: str, context: dict[str, Any]) -> bytes:
    """The contract document of ``route``; ``KeyError`` for a route without a template (forbidden)."""
    template = ROUTE_TEMPLATES[route]
    return html_to_pdf(render_to_string(template, context))


def render_signature_page(context: dict[str, Any]) -> bytes:
    return html_to_pdf(render_to_string(SIGNATURE_PAGE_TEMPLATE, context))


def append_pdf(original: bytes, extra: bytes) -> bytes:
    """The pages of ``original`` unchanged, followed by the pages of ``extra``."""
    writer = PdfWriter()
    writer.append(PdfReader(io.BytesIO(original)))
    writer.append(PdfReader(io.BytesIO(extra)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
