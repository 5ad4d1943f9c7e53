"""Text folding for search: what "gomez" and "Gómez" have in common.

`fold` decomposes (NFKD), drops the combining marks (accents, tildes, cedillas) and casefolds, in Python,
so SQLite and PostgreSQL search the same stored column the same way (no database extension, no collation
that differs between the two). `Client.search_text` keeps it; the search folds what people type alike.
"""

from __future__ import annotations

import unicodedata


def fold(text: str | None) -> str:
    """`text` without accents and case: "Lucía Gómez" → "lucia gomez", "Straße" → "strasse"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
