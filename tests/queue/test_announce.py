"""Indonesian number words and the announcement segments a hall display plays."""

from __future__ import annotations

import string
from pathlib import Path

import pytest

from queue_app.queue.announce import (
    DIGIT_WORDS,
    LETTER_NAMES,
    SEGMENTS,
    SPOKEN,
    VOCABULARY,
    announcement,
    number_words_id,
)

AUDIO_DIR = Path(__file__).resolve().parents[2] / "display" / "audio"


@pytest.mark.parametrize(
    ("n", "words"),
    [
        (0, "nol"),
        (1, "satu"),
        (7, "tujuh"),
        (9, "sembilan"),
        (10, "sepuluh"),
        (11, "sebelas"),
        (12, "dua belas"),
        (15, "lima belas"),
        (19, "sembilan belas"),
        (20, "dua puluh"),
        (21, "dua puluh satu"),
        (40, "empat puluh"),
        (99, "sembilan puluh sembilan"),
        (100, "seratus"),
        (101, "seratus satu"),
        (110, "seratus sepuluh"),
        (111, "seratus sebelas"),
        (112, "seratus dua belas"),
        (120, "seratus dua puluh"),
        (200, "dua ratus"),
        (305, "tiga ratus lima"),
        (999, "sembilan ratus sembilan puluh sembilan"),
        (1000, "seribu"),
        (1001, "seribu satu"),
        (1011, "seribu sebelas"),
        (1100, "seribu seratus"),
        (1203, "seribu dua ratus tiga"),
        (2000, "dua ribu"),
        (9999, "sembilan ribu sembilan ratus sembilan puluh sembilan"),
        (10000, "sepuluh ribu"),
        (11000, "sebelas ribu"),
        (12345, "dua belas ribu tiga ratus empat puluh lima"),
        (100000, "seratus ribu"),
        (101000, "seratus satu ribu"),
        (111111, "seratus sebelas ribu seratus sebelas"),
        (999999, "sembilan ratus sembilan puluh sembilan ribu sembilan ratus sembilan puluh sembilan"),
        (1000000, "satu juta"),
        (2001000, "dua juta seribu"),
        (1000000000, "satu miliar"),
    ],
)
def test_number_words(n: int, words: str) -> None:
    assert number_words_id(n) == words.split()


@pytest.mark.parametrize("bad", [-1, 10**12])
def test_number_words_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError):
        number_words_id(bad)


@pytest.mark.parametrize("bad", ["12", 1.0, True])
def test_number_words_needs_an_int(bad: object) -> None:
    with pytest.raises(TypeError):
        number_words_id(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("number", "counter", "reading", "text", "segments"),
    [
        (
            "A-007", "Loket 1", "digits",
            "Nomor antrean A 0 0 7, silakan menuju Loket 1.",
            "nomor_antrean a nol nol tujuh silakan_menuju loket satu",
        ),
        (
            "A-007", "Loket 1", "whole",
            "Nomor antrean A 7, silakan menuju Loket 1.",
            "nomor_antrean a tujuh silakan_menuju loket satu",
        ),
        (
            "AB-1203", "Loket 12", "digits",
            "Nomor antrean A B 1 2 0 3, silakan menuju Loket 12.",
            "nomor_antrean a b satu dua nol tiga silakan_menuju loket dua belas",
        ),
        (
            "AB-1203", "Loket 12", "whole",
            "Nomor antrean A B 1203, silakan menuju Loket 12.",
            "nomor_antrean a b seribu dua ratus tiga silakan_menuju loket dua belas",
        ),
        (
            "C-110", "Loket Prioritas", "whole",
            "Nomor antrean C 110, silakan menuju Loket Prioritas.",
            "nomor_antrean c seratus sepuluh silakan_menuju loket prioritas",
        ),
        (
            "D-000", "Meja Informasi 2", "whole",
            "Nomor antrean D 0, silakan menuju Meja Informasi 2.",
            "nomor_antrean d nol silakan_menuju meja informasi dua",
        ),
        (
            "K-011", "Ruang Konsultasi B", "digits",
            "Nomor antrean K 0 1 1, silakan menuju Ruang Konsultasi B.",
            "nomor_antrean k nol satu satu silakan_menuju ruang konsultasi b",
        ),
        (
            "E-020", "Loket-3 / Kasir", "whole",
            "Nomor antrean E 20, silakan menuju Loket-3 / Kasir.",
            "nomor_antrean e dua puluh silakan_menuju loket tiga kasir",
        ),
        (
            "F-001", "Meja UKM", "digits",
            "Nomor antrean F 0 0 1, silakan menuju Meja UKM.",
            "nomor_antrean f nol nol satu silakan_menuju meja u k m",
        ),
        (
            "a-5", "  loket   4 ", "digits",
            "Nomor antrean A 5, silakan menuju loket 4.",
            "nomor_antrean a lima silakan_menuju loket empat",
        ),
    ],
)
def test_announcement(number: str, counter: str, reading: str, text: str, segments: str) -> None:
    result = announcement(number, counter, reading=reading)  # type: ignore[arg-type]
    assert result == {"text": text, "segments": segments.split()}


def test_default_reading_is_digit_by_digit() -> None:
    assert announcement("A-007", "Loket 1") == announcement("A-007", "Loket 1", reading="digits")


def test_unknown_counter_word_keeps_segments_and_asks_for_speech() -> None:
    result = announcement("A-007", "Loket Kopi 3")
    assert result["segments"] == ["nomor_antrean", "a", "nol", "nol", "tujuh", "silakan_menuju", "loket", "tiga"]
    assert result["fallback_text"] == result["text"] == "Nomor antrean A 0 0 7, silakan menuju Loket Kopi 3."


def test_unusual_ticket_number_asks_for_speech() -> None:
    result = announcement("Ä-12", "Loket 1")
    assert result["text"] == "Nomor antrean Ä-12, silakan menuju Loket 1."
    assert result["fallback_text"] == result["text"]
    assert set(result["segments"]) <= SEGMENTS


def test_known_words_need_no_fallback() -> None:
    assert "fallback_text" not in announcement("ABC-99999", "Loket Prioritas 25")


def test_empty_counter_name_is_just_the_number() -> None:
    assert announcement("A-007", " ") == {"text": "Nomor antrean A 0 0 7.", "segments": ["nomor_antrean", "a", "nol", "nol", "tujuh"]}


def test_bad_reading_refused() -> None:
    with pytest.raises(ValueError):
        announcement("A-007", "Loket 1", reading="words")  # type: ignore[arg-type]


def test_every_word_of_every_number_has_a_segment() -> None:
    said = {w for n in range(10000) for w in number_words_id(n)}
    said |= {w for n in (10**5, 10**6 + 1, 10**9 + 1) for w in number_words_id(n)}
    assert said <= SEGMENTS
    assert set(DIGIT_WORDS) <= said


def _all_segments_announcement_can_return() -> set[str]:
    seen: set[str] = set()
    letters = string.ascii_uppercase
    for reading in ("digits", "whole"):
        for n in range(10000):
            seen.update(announcement(f"{letters[n % 26]}-{n:03d}", f"Loket {n}", reading=reading)["segments"])
    for word in VOCABULARY:
        seen.update(announcement("Z-1", f"{word.capitalize()} {letters[len(word) % 26]}")["segments"])
    return seen


def test_segments_cover_everything_announced() -> None:
    seen = _all_segments_announcement_can_return()
    assert seen <= SEGMENTS
    assert set(LETTER_NAMES) <= seen
    assert set(VOCABULARY) <= seen


def test_every_segment_has_an_audio_file() -> None:
    missing = sorted(name for name in SEGMENTS if not (AUDIO_DIR / "id" / f"{name}.mp3").is_file())
    assert not missing, f"run display/make_audio.py; no audio for {missing}"
    assert (AUDIO_DIR / "chime.mp3").is_file()


def test_no_stray_audio_files() -> None:
    """A renamed segment must not leave an old recording behind to be served forever."""
    files = {p.stem for p in (AUDIO_DIR / "id").glob("*.mp3")}
    assert files == set(SPOKEN)


@pytest.mark.parametrize("name", sorted(SEGMENTS))
def test_segment_file_is_small_real_mp3(name: str) -> None:
    data = (AUDIO_DIR / "id" / f"{name}.mp3").read_bytes()
    assert 300 < len(data) < 20_000
    assert data[:3] == b"ID3" or (data[0] == 0xFF and data[1] & 0xE0 == 0xE0)
