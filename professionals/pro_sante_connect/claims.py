"""Reading what Pro Santé Connect says about a person (pure: dicts in, values out).

PSC's userinfo carries the national identifier ``SubjectNameID`` (``"8"`` + the 11-digit RPPS for
the professions in the RPPS; other prefixes are ADELI-based identifiers, which PSC does not vouch
for as an RPPS) and ``SubjectRefPro``, the directory's view of the person: each exercise
(``exercices``) with its profession code (TRE_G15, the code of ``reference.Profession``) and
activities (``activities``), each with the INSEE code of its commune (``codeCommune``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from allauth.socialaccount.providers.base import ProviderException

from ville_hopital.identifiers import InvalidIdentifier, clean_rpps

RPPS_PREFIX = "8"


class PscRefusal(ProviderException):
    """A PSC answer we do not accept; ``reason`` picks the explanation shown (``services.REFUSALS``).
    allauth's callback view turns it into its authentication-error path, where our adapter answers."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class PscPerson:
    subject: str
    rpps: str
    acr: str
    given_name: str
    family_name: str
    profession_codes: tuple[str, ...]
    commune_codes: tuple[str, ...]


def rpps_from_national_id(national_id: object) -> str:
    """The RPPS of an ``SubjectNameID`` (``"8"`` + RPPS); ``PscRefusal("rpps_missing")`` otherwise."""
    value = str(national_id or "").strip()
    if not value.startswith(RPPS_PREFIX):
        raise PscRefusal("rpps_missing", f"SubjectNameID {value!r} is not an RPPS national id")
    try:
        return clean_rpps(value[len(RPPS_PREFIX):])
    except InvalidIdentifier:
        raise PscRefusal("rpps_missing", f"SubjectNameID {value!r} holds no valid RPPS") from None


def _exercises(ref_pro: Any) -> list[dict]:
    # Some PSC environments send SubjectRefPro as a JSON string rather than an object.
    if isinstance(ref_pro, str):
        try:
            ref_pro = json.loads(ref_pro)
        except ValueError:
            return []
    exercises = ref_pro.get("exercices") if isinstance(ref_pro, dict) else None
    return [e for e in exercises if isinstance(e, dict)] if isinstance(exercises, list) else []


def _activities(exercise: dict) -> Iterator[dict]:
    activities = exercise.get("activities")
    if isinstance(activities, list):
        yield from (a for a in activities if isinstance(a, dict))


def person_from_claims(id_token: dict, userinfo: dict) -> PscPerson:
    """The person both documents describe. The userinfo's ``sub`` must be the ID token's (OpenID
    Connect Core 5.3.2: otherwise the userinfo may be someone else's); the RPPS is required."""
    subject = str(id_token.get("sub") or "")
    if not subject or str(userinfo.get("sub") or "") != subject:
        raise PscRefusal("subject_mismatch", "userinfo sub differs from the ID token's")
    rpps = rpps_from_national_id(userinfo.get("SubjectNameID") or id_token.get("SubjectNameID"))
    exercises = _exercises(userinfo.get("SubjectRefPro"))
    return PscPerson(
        subject=subject,
        rpps=rpps,
        acr=str(id_token.get("acr") or ""),
        given_name=str(userinfo.get("given_name") or ""),
        family_name=str(userinfo.get("family_name") or ""),
        profession_codes=tuple(str(e["codeProfession"]) for e in exercises if e.get("codeProfession")),
        commune_codes=tuple(
            str(a["codeCommune"]) for e in exercises for a in _activities(e) if a.get("codeCommune")
        ),
    )
