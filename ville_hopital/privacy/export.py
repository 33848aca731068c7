"""« Télécharger mes données »: one ZIP with a JSON file per kind of data and the person's own files.

Synchronous, bounded: the rows of one person are a few thousand at most, and the archive is
written to a temporary file (spooled to disk past 8 MiB) that the view streams, so memory stays
flat whatever the size of the credentials and contracts. A Celery job would only add an email
round trip for an archive that builds in about a second.
"""

from __future__ import annotations

import json
import re
import tempfile
import zipfile
from collections import defaultdict
from typing import IO, Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from missions.contracts.models import Contract
from professionals.models import Credential
from ville_hopital.audit import audit_record
from ville_hopital.privacy.declarations import PERSONAL_DATA, PersonalData

SPOOL_BYTES = 8 * 1024 * 1024
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _value(obj: models.Model, name: str) -> Any:
    field = obj._meta.get_field(name)
    return getattr(obj, field.attname)


def _rows(entry: PersonalData, user: User) -> list[dict[str, Any]]:
    rows = []
    for obj in entry.rows(user).order_by("pk").prefetch_related(*entry.many):
        row = {name: _value(obj, name) for name in entry.exported}
        row.update({name: sorted(related.pk for related in getattr(obj, name).all()) for name in entry.many})
        rows.append(row)
    return rows


def _safe_name(name: str) -> str:
    return _UNSAFE.sub("_", name.rsplit("/", 1)[-1])[:80] or "file"


def _add_file(archive: zipfile.ZipFile, file: FieldFile, path: str, missing: list[str]) -> str:
    """Copies a stored file into the archive; a file the storage no longer has is listed, not fatal."""
    if not file:
        return ""
    try:
        with file.open("rb") as source, archive.open(path, "w") as target:
            for chunk in iter(lambda: source.read(1024 * 1024), b""):
                target.write(chunk)
    except FileNotFoundError:
        missing.append(path)
        return ""
    return path


def _files(archive: zipfile.ZipFile, user: User) -> dict[str, list[dict[str, Any]]]:
    missing: list[str] = []
    credentials = [
        {"credential": c.pk, "archive_file": _add_file(archive, c.file, f"files/credentials/{c.pk}-{_safe_name(c.original_name)}", missing)}
        for c in Credential.objects.filter(professional__user=user).order_by("pk")
    ]
    contracts = []
    for contract in Contract.objects.filter(mission__professional__user=user).order_by("pk"):
        stem = f"files/contracts/mission-{contract.mission_id}-v{contract.version}"
        contracts.append({
            "contract": contract.pk,
            "archive_file": _add_file(archive, contract.pdf, f"{stem}.pdf", missing),
            "archive_file_signed": _add_file(archive, contract.final_pdf, f"{stem}-signed.pdf", missing),
        })
    return {"credentials": credentials, "contracts": contracts, "missing": [{"path": p} for p in missing]}


@transaction.atomic
def personal_data_export(*, actor: User) -> IO[bytes]:
    """The ZIP of everything the platform holds about ``actor``, as a file positioned at its start.

    One JSON file per kind of data (``declarations.PERSONAL_DATA``: each file maps a model to its
    rows), ``files/`` with the credentials and the person's contract PDFs, and ``README.txt``.
    Audited (``privacy.export``).
    """
    if not actor.is_authenticated:
        raise PermissionError("the export is one's own")
    user = User.objects.get(pk=actor.pk)
    documents: dict[str, dict[str, list]] = defaultdict(dict)
    for entry in PERSONAL_DATA:
        documents[entry.file][entry.model._meta.label] = _rows(entry, user)
    # Not a ``with``: the open file is the result, streamed then closed by the view's FileResponse.
    target = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        documents["files.json"] = _files(archive, user)
        for name, content in sorted(documents.items()):
            archive.writestr(name, json.dumps(content, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
        archive.writestr("README.txt", _readme(user, sorted(documents)))
    audit_record(actor=user, action="privacy.export", target=user, data={"files": len(documents)})
    target.seek(0)
    return target


def _readme(user: User, names: list[str]) -> str:
    return (
        f"Ville-Hôpital — personal data of account #{user.pk}, exported {timezone.now().isoformat()}\n"
        "Données personnelles du compte, un fichier JSON par type de données / one JSON file per kind of data:\n"
        + "".join(f"- {name}\n" for name in names)
        + "files/: justificatifs et contrats (PDF) / credentials and contracts (PDF).\n"
        f"What is kept, why and for how long / ce qui est conservé, pourquoi et combien de temps: {reverse('privacy:notice')}\n"
    )
