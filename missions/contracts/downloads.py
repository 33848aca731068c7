"""A contract's stored PDF as an HTTP download, audited: the contract page's and the API's
(``missions.contracts.views``, ``missions.contracts.api``) — one response, one audit row."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest

from missions.contracts.models import Contract
from missions.contracts.selectors import contract_document
from missions.contracts.services import contract_download_record
from ville_hopital.proxies import client_ip


def contract_document_response(request: HttpRequest, contract: Contract, which: str) -> FileResponse:
    """The stored PDF ``which`` names (``selectors.contract_document``; none such: 404), as an
    attachment, its download audited."""
    document = contract_document(contract, which)
    if document is None:
        raise Http404
    response = FileResponse(document.file.open("rb"), as_attachment=True, filename=document.filename,
                            content_type="application/pdf")
    contract_download_record(actor=request.user, contract=contract, document=document.which, ip=client_ip(request))
    response["Cache-Control"] = "private, no-store"
    return response
