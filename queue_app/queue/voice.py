"""The building's own voice: a folder of recorded segments that replaces the built-in ones name by name.

``[display] voice_dir`` holds files named like the built-in segments (``nomor_antrean.wav``, ``tujuh.mp3``,
``chime.ogg``...). The display asks for ``/display/audio/id/<name>.mp3`` as always; the server answers
with the recorded file when there is one, the built-in otherwise (:func:`recorded_file`). ``mpp-queue
voice check DIR`` (:func:`check_folder`) says what a recording session still has to fix. Pure Python:
WAV is measured with the standard library, other formats are only checked by name.
"""

from __future__ import annotations

import math
import sys
import wave
from array import array
from dataclasses import dataclass, field
from pathlib import Path

from queue_app.queue.announce import LETTER_NAMES, PHRASES, SPOKEN

#: what Chromium/Firefox decode with the Web Audio API everywhere (no licensed codecs assumed), by preference
PLAYABLE = ("wav", "mp3", "ogg", "opus", "flac", "webm")
#: what people commonly hand in that a display browser may not play: named so the check can say so
UNPLAYABLE = ("m4a", "aac", "wma", "aif", "aiff", "amr", "3gp", "caf", "au", "mp2", "ac3")

#: a single word or letter longer than this drags the call out; fixed phrases may take longer
MAX_WORD_SECONDS = 3.0
MAX_PHRASE_SECONDS = 4.5
MAX_CHIME_SECONDS = 4.0
#: under these a segment is too quiet next to the others (peak -20 dBFS, RMS -40 dBFS)
MIN_PEAK = 0.1
MIN_RMS = 0.01

CHIME = "chime"


def segment_names() -> list[str]:
    """Every name a folder may replace: the chime and each spoken segment."""
    return [CHIME, *sorted(SPOKEN)]


def recorded_file(folder: Path | None, name: str) -> Path | None:
    """The recording in ``folder`` for segment ``name`` (any playable format), or None.

    ``name`` comes from a URL: only a known segment name is looked up, so no path can be built from it.
    """
    if folder is None or (name != CHIME and name not in SPOKEN):
        return None
    for ext in PLAYABLE:
        path = folder / f"{name}.{ext}"
        if path.is_file():
            return path
    return None


def words_of(name: str) -> str:
    """What a recording of segment ``name`` must say (the script of a recording session)."""
    if name == CHIME:
        return "(the chime before each call: a short ding-dong, no words)"
    if name in LETTER_NAMES:
        return f'the letter {name.upper()}, said "{LETTER_NAMES[name]}"'
    return SPOKEN[name]


@dataclass
class Measure:
    seconds: float
    peak: float
    rms: float


@dataclass
class Report:
    """What a folder still needs: each list holds ``(name, detail)`` pairs."""

    missing: list[str] = field(default_factory=list)
    too_long: list[tuple[str, str]] = field(default_factory=list)
    too_quiet: list[tuple[str, str]] = field(default_factory=list)
    bad_format: list[tuple[str, str]] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    found: int = 0

    @property
    def ok(self) -> bool:
        return not (self.too_long or self.too_quiet or self.bad_format)


def measure_wav(path: Path) -> Measure:
    """Duration, peak and RMS (0..1 of full scale) of a PCM WAV file.

    :raise wave.Error: not a PCM WAV the standard library reads (e.g. float or compressed).
    """
    with wave.open(str(path), "rb") as w:
        width, frames, rate = w.getsampwidth(), w.getnframes(), w.getframerate()
        raw = w.readframes(frames)
    if rate <= 0:
        raise wave.Error("sample rate 0")
    samples = _samples(raw, width)
    full = float(2 ** (8 * width - 1))
    if not samples:
        return Measure(0.0, 0.0, 0.0)
    peak = max(max(samples), -min(samples)) / full
    rms = math.sqrt(sum(s * s for s in samples) / len(samples)) / full
    return Measure(frames / rate, min(peak, 1.0), rms)


def _samples(raw: bytes, width: int) -> array | list[int]:
    if width == 1:  # unsigned 8-bit
        return [b - 128 for b in raw]
    if width == 2:
        out = array("h")
        out.frombytes(raw[: len(raw) // 2 * 2])
    elif width == 4:
        out = array("i")
        out.frombytes(raw[: len(raw) // 4 * 4])
    elif width == 3:
        return [int.from_bytes(raw[i:i + 3], "little", signed=True) for i in range(0, len(raw) - 2, 3)]
    else:
        raise wave.Error(f"{8 * width}-bit samples")
    if sys.byteorder == "big":  # WAV is little-endian
        out.byteswap()
    return out


def limit_for(name: str) -> float:
    if name == CHIME:
        return MAX_CHIME_SECONDS
    return MAX_PHRASE_SECONDS if name in PHRASES else MAX_WORD_SECONDS


def check_folder(folder: Path) -> Report:
    """Check every recording a voice folder has, and name the segments it lacks (they fall back to built-in)."""
    report = Report()
    known = set(segment_names())
    for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
        stem, ext = path.stem, path.suffix.lower().lstrip(".")
        if stem not in known:
            if ext in PLAYABLE or ext in UNPLAYABLE:
                report.unknown.append(path.name)
            continue
        if ext in UNPLAYABLE or ext not in PLAYABLE:
            report.bad_format.append((path.name, f".{ext} may not play in the display's browser; "
                                                 "use WAV (16-bit PCM), MP3 or Ogg"))
    for name in segment_names():
        path = recorded_file(folder, name)
        if path is None:
            if not any(p.stem == name for p in folder.iterdir()):
                report.missing.append(name)
            continue
        report.found += 1
        if path.suffix.lower() != ".wav":
            continue  # compressed formats are played as they are; only WAV is measured here
        try:
            m = measure_wav(path)
        except (wave.Error, EOFError) as exc:
            report.bad_format.append((path.name, f"not a PCM WAV this check (and some browsers) read: {exc}; "
                                                 "convert: sox IN -b 16 OUT.wav"))
            continue
        limit = limit_for(name)
        if m.seconds > limit:
            report.too_long.append((path.name, f"{m.seconds:.2f} s, at most {limit:.1f} s"))
        if m.peak < MIN_PEAK or m.rms < MIN_RMS:
            report.too_quiet.append((path.name, f"peak {_db(m.peak)} dBFS, RMS {_db(m.rms)} dBFS "
                                                f"(want peak over {_db(MIN_PEAK)}, RMS over {_db(MIN_RMS)})"))
    return report


def _db(x: float) -> str:
    return "-inf" if x <= 0 else f"{20 * math.log10(x):.0f}"
