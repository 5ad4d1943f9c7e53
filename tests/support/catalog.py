"""What the translation tests compare against: our English sentences (the catalog's msgids), and the text
a page or email shows (its text nodes and the attributes people read: aria-label, placeholder, title)."""

from __future__ import annotations

import html
import re
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

TRANSLATIONS = Path(__file__).resolve().parents[2] / "conecta" / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|%[sd]")
TAG = re.compile(r"<[^>]+>")
READ_ATTRIBUTES = re.compile(r'(?:aria-label|placeholder|title)="([^"]*)"')


def catalog(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@cache
def english_sentences() -> tuple[str, ...]:
    """Fragments of our English msgids long enough to be a sentence (two words or more, 10+ characters),
    split at placeholders and markup, that the Spanish translation does not itself contain."""
    spanish = {m.id: m.string for m in catalog("es") if m.id}
    found = set()
    for msgid, msgstr in spanish.items():
        for english in msgid if isinstance(msgid, tuple) else (msgid,):
            translated = " ".join(msgstr) if isinstance(msgstr, tuple) else msgstr
            for fragment in re.split(r"%\(\w+\)[sd]|<[^>]+>", english):
                fragment = fragment.strip(" .,:;?!()“”'")
                if " " in fragment and len(fragment) >= 10 and fragment not in translated:
                    found.add(fragment)
    return tuple(sorted(found))


def readable_text(markup: str) -> str:
    """What a reader sees of a page or an HTML email: text and the labels assistive technology reads."""
    body = markup.split("<body", 1)[-1]
    attributes = " | ".join(READ_ATTRIBUTES.findall(body))
    return html.unescape(TAG.sub(" | ", body) + " | " + attributes)


def english_left(text: str) -> list[str]:
    """Our English sentences still present in `text` (a Spanish rendering): each is a missed string."""
    text = re.sub(r"\s+", " ", text)
    return [sentence for sentence in english_sentences() if sentence in text]
