"""How a commune name is compared with what a person types: one key for both sides.

People type « saint denis », « St-Denis » or « st denis » for Saint-Denis, « evry » for Évry,
« l'hay » for L'Haÿ-les-Roses. The key drops accents, case, hyphens and apostrophes and expands
the abbreviations the postal service uses, so a plain prefix match on an indexed column finds them
on PostgreSQL and SQLite alike (no ``unaccent`` or ``pg_trgm`` extension to install).
"""

from __future__ import annotations

import re
import unicodedata

# Ligatures NFKD leaves whole.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"})
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
# Word abbreviations found in addresses and typed by people, expanded on both sides.
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}


def search_key(text: str) -> str:
    """``"St-Étienne-du-Rouvray"`` → ``"saint etienne du rouvray"``."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    words = _NOT_ALNUM.sub(" ", plain).split()
    return " ".join(_ABBREVIATIONS.get(word, word) for word in words)
