"""``Idempotency-Key``: a creating POST of the API made twice (a retry after a lost answer) writes once.

Apply ``@idempotent`` to an ``APIView``'s ``post``:

* no header: the view runs as usual;
* a new key: the view runs inside a transaction that first inserts the key's row (unique per user
  and key), then stores the answer with it when it is a success (2xx). A refused request (4xx)
  stores nothing: its key is free again once the client fixed its request;
* the same key, method, path and body again (within 24 hours): the stored answer, same status and
  same body, with the header ``Idempotent-Replayed: true``; the view does not run;
* the same key with another path or body: 409 ``{"Idempotency-Key": ["…"]}`` naming what differs;
* two requests with the same key at once: the second one's insert waits on the unique index until
  the first commits, then replays its answer (or runs, if the first was refused and rolled back).

The body compared is the request's data as parsed, written as canonical JSON (sorted keys): the
same object sent with its keys in another order is the same request; an uploaded file counts by its
name, size and content. Keys are scoped to the
authenticated user (an integration token has its own user) and purged after ``KEY_LIFETIME``
(``idempotency_keys_purge``, a periodic task). The OpenAPI schema documents the header and the 409
on every operation so decorated (``ville_hopital.api_schema.ApiSchema``).
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from ville_hopital.input_hygiene import has_forbidden_character
from ville_hopital.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255

#: The header as the schema states it (``ApiSchema`` adds it to each decorated operation).
HEADER_DESCRIPTION = (
    "A key of your choice (at most 255 characters, e.g. a UUID) making this POST safe to retry: the same "
    "key with the same body within 24 hours answers the first response again (same status and body, "
    "header `Idempotent-Replayed: true`) and writes nothing; the same key with another body or path: 409."
)


def _file_or_text(value: object) -> object:
    """A value JSON cannot write: an uploaded file by its name, size and content's digest (another
    file under the same name is another body), anything else as its text."""
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    return str(value)


def _body_digest(request: Request) -> str:
    canonical = json.dumps(request.data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"), default=_file_or_text)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _clean_key(raw: str) -> str:
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or has_forbidden_character(key):
        raise ValidationError({HEADER: [_("Une clé de 1 à %(max)s caractères visibles.") % {"max": MAX_KEY_LENGTH}]})
    return key


def _mismatch(record: IdempotencyKey, *, method: str, path: str, digest: str) -> str | None:
    """What differs between the stored request and this one (None: the same request)."""
    if record.method != method or record.path != path:
        return _("Cette clé a déjà servi pour une autre requête (%(method)s %(path)s).") % {
            "method": record.method, "path": record.path,
        }
    if record.body_sha256 != digest:
        return _("Cette clé a déjà servi pour la même adresse avec un autre corps de requête.")
    return None


def _replay(record: IdempotencyKey, *, method: str, path: str, digest: str) -> Response:
    problem = _mismatch(record, method=method, path=path, digest=digest)
    if problem:
        return Response({HEADER: [problem]}, status=409)
    if record.response_status is None:  # not reachable: a key row is committed with its answer
        return Response({HEADER: [_("Une requête avec cette clé est en cours.")]}, status=409)
    response = Response(record.response_body, status=record.response_status)
    response[REPLAYED_HEADER] = "true"
    return response


def _claim(*, user, key: str, method: str, path: str, digest: str) -> IdempotencyKey | None:
    """Insert the key's row (None: another request holds it; this waits until that one committed).
    An expired row of the same key is replaced."""
    fields = {"method": method, "path": path, "body_sha256": digest}
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, **fields)
    except IntegrityError:
        expired = IdempotencyKey.objects.filter(user=user, key=key, created_at__lt=timezone.now() - KEY_LIFETIME)
        if not expired.delete()[0]:
            return None
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, **fields)
    except IntegrityError:
        return None


def _stored_body(response: Response) -> object:
    """The answer's data as JSON would render it (decimals as strings, dates in ISO 8601)."""
    return json.loads(json.dumps(response.data, cls=JSONEncoder))


def idempotent(post: Callable[..., Response]) -> Callable[..., Response]:
    """Decorate an ``APIView.post`` (module docstring)."""

    @functools.wraps(post)
    def wrapper(view, request: Request, *args, **kwargs) -> Response:
        raw = request.headers.get(HEADER)
        if raw is None or not request.user.is_authenticated:  # keys belong to a user: none, nothing to replay
            return post(view, request, *args, **kwargs)
        key = _clean_key(raw)
        method, path, digest = request.method, request.path, _body_digest(request)
        with transaction.atomic():
            record = _claim(user=request.user, key=key, method=method, path=path, digest=digest)
            if record is None:
                held = IdempotencyKey.objects.filter(user=request.user, key=key).first()
                if held is None:  # purged between the two statements: the client may simply retry
                    return Response({HEADER: [_("Une requête avec cette clé est en cours.")]}, status=409)
                return _replay(held, method=method, path=path, digest=digest)
            response = post(view, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                transaction.set_rollback(True)  # nothing of a refused request is kept, its key neither
                return response
            record.response_status = response.status_code
            record.response_body = _stored_body(response)
            record.save(update_fields=["response_status", "response_body"])
        return response

    wrapper.idempotent = True  # read by ApiSchema: the header and the 409 in the schema
    return wrapper


def idempotency_keys_purge(*, now: datetime | None = None) -> int:
    """Delete the keys older than ``KEY_LIFETIME`` (a periodic task); returns how many."""
    cutoff = (now or timezone.now()) - KEY_LIFETIME
    return IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()[0]
