"""What the kiosk's audio guide says about a tile, with the display's recorded voice segments.

The display's segments (``display/audio/id``) hold the call's words: "nomor antrean", letters, numbers and
a short list of words found in counter names (``queue_app.queue.announce.VOCABULARY``). A service name made
only of those ("Layanan Pengaduan") is said whole; any other is said by its queue letter ("antrean A"),
which the tile shows large, and carries ``fallback_text`` so a kiosk whose browser has an Indonesian voice
says the whole name instead.
"""

from __future__ import annotations

import re
from typing import Any

from queue_app.queue.announce import LETTER_NAMES, VOCABULARY, number_words_id

_TOKEN = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]+")


def said_with_segments(text: str) -> tuple[list[str], bool]:
    """The segments that say ``text`` and whether they say all of it (words, numbers, acronyms spelled out)."""
    segments: list[str] = []
    whole = True
    for token in _TOKEN.findall(text):
        low = token.lower()
        if token.isdigit() and len(token) < 12:
            segments += number_words_id(int(token))
        elif low in VOCABULARY or (len(low) == 1 and low in LETTER_NAMES):
            segments.append(low)
        elif token.isascii() and token.isalpha() and token.isupper() and len(token) <= 4:
            segments += list(low)  # "UKM", "OSS": spelled, as people say them
        elif any(ch.isalnum() for ch in token):
            whole = False  # a word with no recording
    return segments, whole


def tile_speech(name: str, prefix: str) -> dict[str, Any]:
    """What the guide says when a tile is touched: ``{"text", "segments"[, "fallback_text"]}``."""
    words, whole = said_with_segments(name)
    letters = [c.lower() for c in prefix if c.lower() in LETTER_NAMES]
    lead = [] if words[:1] == ["layanan"] else ["layanan"]
    text = f"{'' if lead == [] else 'Layanan '}{name}, antrean {' '.join(prefix.upper())}."
    speech: dict[str, Any] = {"text": text, "segments": [*lead, *words, "antrean", *letters] if whole
                              else ["antrean", *letters]}
    if not whole:
        speech["fallback_text"] = text
    return speech


def guide_for(services: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The guide's words for every tile of a kiosk, by service code."""
    return {s["code"]: tile_speech(s["name"], s["prefix"]) for s in services}
