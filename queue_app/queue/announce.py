"""The Indonesian voice announcement for a call: the text people read and the audio segments a display plays.

Pure Python with no Flask import, so the engine, tests and ``display/make_audio.py`` can all use it.
A display plays the chime, then ``segments`` back to back from pre-generated files in
``display/audio/id/<segment>.mp3``; it works offline and needs no voice installed in the browser.
When a counter name holds a word we have no recording for, the result also carries ``fallback_text``
so the display can speak the whole call with the browser's ``id-ID`` speech synthesis instead.
"""

from __future__ import annotations

import re
from typing import Literal, TypedDict

__all__ = [
    "DIGIT_WORDS",
    "LETTER_NAMES",
    "NUMBER_WORDS",
    "PHRASES",
    "SEGMENTS",
    "SPOKEN",
    "VOCABULARY",
    "Announcement",
    "announcement",
    "number_words_id",
]

NumberReading = Literal["digits", "whole"]

DIGIT_WORDS: tuple[str, ...] = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")

# Words that join digit words to make any number up to the hundreds of billions. One audio file each.
NUMBER_WORDS: tuple[str, ...] = (
    "sepuluh", "sebelas", "belas", "puluh", "seratus", "ratus", "seribu", "ribu", "juta", "miliar",
)

# How Indonesians name the letters of a ticket prefix (for people reading this; the recording is made by
# giving the voice the capital letter, which it names the same way). The segment is the lowercase letter.
LETTER_NAMES: dict[str, str] = {
    "a": "a", "b": "be", "c": "ce", "d": "de", "e": "e", "f": "ef", "g": "ge", "h": "ha", "i": "i",
    "j": "je", "k": "ka", "l": "el", "m": "em", "n": "en", "o": "o", "p": "pe", "q": "ki", "r": "er",
    "s": "es", "t": "te", "u": "u", "v": "fe", "w": "we", "x": "eks", "y": "ye", "z": "zet",
}

# Fixed phrases of every call: segment name -> what is said.
PHRASES: dict[str, str] = {
    "nomor_antrean": "nomor antrean",
    "silakan_menuju": "silakan menuju",
}

# Words that may appear in a counter's name ("Loket 1", "Meja Informasi", "Loket Prioritas 2").
# Keep this short and common; any other word makes the display fall back to browser speech.
VOCABULARY: tuple[str, ...] = (
    "loket", "meja", "ruang", "ruangan", "pos", "bilik", "kasir", "teller", "lantai", "gedung",
    "prioritas", "informasi", "pengaduan", "konsultasi", "pendaftaran", "pengambilan", "penyerahan",
    "pembayaran", "pelayanan", "layanan", "perizinan", "nonperizinan", "berkas", "dokumen",
    "umum", "khusus", "utama", "bantuan", "verifikasi", "antrean", "dan",
)

# Every segment name the display has a recording for, mapped to the words that recording says.
SPOKEN: dict[str, str] = {
    **PHRASES,
    **{w: w for w in DIGIT_WORDS},
    **{w: w for w in NUMBER_WORDS},
    **{letter: letter.upper() for letter in LETTER_NAMES},
    **{w: w for w in VOCABULARY},
}

SEGMENTS: frozenset[str] = frozenset(SPOKEN)

_MAX_NUMBER = 10**12 - 1  # up to "sembilan ratus ... miliar ..."; ticket numbers are far below this
_SCALES: tuple[tuple[int, str, str | None], ...] = (
    # (size, word, the single word used when the multiplier is one: seribu but satu juta)
    (10**9, "miliar", None),
    (10**6, "juta", None),
    (10**3, "ribu", "seribu"),
)
_TICKET = re.compile(r"^\s*([A-Za-z]{1,3})\s*-?\s*(\d+)\s*$")
_TOKEN = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]+")


class _AnnouncementBase(TypedDict):
    text: str
    segments: list[str]


class Announcement(_AnnouncementBase, total=False):
    """What the ``called`` event carries; ``fallback_text`` only when segments cannot say everything."""

    fallback_text: str


def _below_thousand(n: int) -> list[str]:
    """Words for 1..999; 0 gives no words because it is silent inside a bigger number."""
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds == 1:
        words.append("seratus")
    elif hundreds > 1:
        words += [DIGIT_WORDS[hundreds], "ratus"]
    tens, units = divmod(rest, 10)
    if rest == 10:
        words.append("sepuluh")
    elif rest == 11:
        words.append("sebelas")
    elif tens == 1:
        words += [DIGIT_WORDS[units], "belas"]
    else:
        if tens:
            words += [DIGIT_WORDS[tens], "puluh"]
        if units:
            words.append(DIGIT_WORDS[units])
    return words


def number_words_id(n: int) -> list[str]:
    """Indonesian words for a whole number, one audio segment per word.

    ``12345`` -> ``["dua", "belas", "ribu", "tiga", "ratus", "empat", "puluh", "lima"]``.
    The se- forms (sepuluh, sebelas, seratus, seribu) stay single words because they are recorded
    as one sound. Defined for 0 up to 999 999 999 999.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"number_words_id() needs an int, not {type(n).__name__}")
    if n < 0 or n > _MAX_NUMBER:
        raise ValueError(f"number_words_id() covers 0..{_MAX_NUMBER}, not {n}")
    if n == 0:
        return ["nol"]
    words: list[str] = []
    for size, word, single in _SCALES:
        count, n = divmod(n, size)
        if count == 1 and single:
            words.append(single)
        elif count:
            words += [*_below_thousand(count), word]
    return words + _below_thousand(n)


def _counter_segments(counter_name: str) -> tuple[list[str], bool]:
    """Segments for a counter's name and whether every part of it could be said."""
    segments: list[str] = []
    complete = True
    for token in _TOKEN.findall(counter_name):
        low = token.lower()
        if token.isdigit():
            value = int(token)
            if value <= _MAX_NUMBER:
                segments += number_words_id(value)
            else:
                segments += [DIGIT_WORDS[int(d)] for d in token]
        elif low in VOCABULARY or (len(low) == 1 and low in LETTER_NAMES):
            segments.append(low)
        elif token.isascii() and token.isalpha() and token.isupper() and len(token) <= 4:
            segments += list(low)  # an acronym such as "UKM" or "KTP" is spelled out, letter by letter
        elif not any(ch.isalnum() for ch in token):
            continue  # punctuation such as "-" or "/" is silent
        else:
            complete = False
    return segments, complete


def announcement(number: str, counter_name: str, *, reading: NumberReading = "digits") -> Announcement:
    """The announcement for calling ticket ``number`` to the counter called ``counter_name``.

    ``reading="digits"`` says every digit ("A 0 0 7" -> a, nol, nol, tujuh); ``"whole"`` says the number
    ("A 7" -> a, tujuh; "B 1203" -> be, seribu, dua, ratus, tiga). The text is what people read on screen
    and what browser speech says when it is used: "Nomor antrean A 0 0 7, silakan menuju Loket 1."
    """
    if reading not in ("digits", "whole"):
        raise ValueError(f'reading must be "digits" or "whole", not {reading!r}')
    segments = ["nomor_antrean"]
    complete = True
    match = _TICKET.match(number)
    if match:
        prefix, digits = match.group(1), match.group(2)
        letters = list(prefix.lower())
        segments += letters
        if reading == "whole" and int(digits) <= _MAX_NUMBER:
            shown = str(int(digits))
            segments += number_words_id(int(digits))
        else:
            shown = " ".join(digits)
            segments += [DIGIT_WORDS[int(d)] for d in digits]
        spoken_number = " ".join([*prefix.upper(), shown])
    else:
        # Not the usual PREFIX-DIGITS shape: spell what we can, let speech say the rest.
        spoken_number = number.strip()
        for ch in spoken_number:
            if ch.isdigit():
                segments.append(DIGIT_WORDS[int(ch)])
            elif ch.lower() in LETTER_NAMES:
                segments.append(ch.lower())
            elif ch.isalnum():
                complete = False
    name = " ".join(counter_name.split()).rstrip(".")
    if name:
        counter_segments, counter_complete = _counter_segments(name)
        complete = complete and counter_complete
        segments += ["silakan_menuju", *counter_segments]
        text = f"Nomor antrean {spoken_number}, silakan menuju {name}."
    else:
        text = f"Nomor antrean {spoken_number}."
    result: Announcement = {"text": text, "segments": segments}
    if not complete:
        result["fallback_text"] = text
    return result
