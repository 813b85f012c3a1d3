"""The kiosk's audio guide says a tile with the display's recorded segments: whole when every word has a
recording, else by its queue letter with the full text for a browser voice (kiosk/guide.py)."""

from __future__ import annotations

import pytest
from mpp_queue.kiosk.guide import said_with_segments, tile_speech

from queue_app.queue.announce import SEGMENTS


@pytest.mark.parametrize(("name", "segments", "whole"), [
    ("Pengaduan & Informasi", ["pengaduan", "informasi"], True),
    ("Konsultasi Perizinan & OSS", ["konsultasi", "perizinan", "o", "s", "s"], True),  # an acronym is spelled
    ("Loket 12", ["loket", "dua", "belas"], True),
    ("Perizinan Berusaha", ["perizinan"], False),  # "berusaha" has no recording
    ("Persetujuan Lingkungan (AMDAL, UKL-UPL, SPPL)", ["u", "k", "l", "u", "p", "l", "s", "p", "p", "l"], False),
])
def test_names_are_said_with_the_recorded_segments_they_have(name, segments, whole):
    assert said_with_segments(name) == (segments, whole)


def test_a_name_said_whole_needs_no_browser_voice():
    speech = tile_speech("Pengaduan & Informasi", "D")
    assert speech == {"text": "Layanan Pengaduan & Informasi, antrean D.",
                      "segments": ["layanan", "pengaduan", "informasi", "antrean", "d"]}
    assert tile_speech("Layanan Umum", "U")["segments"] == ["layanan", "umum", "antrean", "u"]  # no "layanan layanan"


def test_any_other_name_is_said_by_its_letter_and_offered_whole_to_a_browser_voice():
    speech = tile_speech("Perizinan Berusaha", "A")
    assert speech["segments"] == ["antrean", "a"]
    assert speech["fallback_text"] == speech["text"] == "Layanan Perizinan Berusaha, antrean A."
    assert set(speech["segments"]) <= SEGMENTS
