"""Rendering contracts to PDF (WeasyPrint) and hashing them. No database writes here."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML

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
