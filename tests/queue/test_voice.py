"""The building's own voice: a folder of recordings replaces built-in segments name by name; the check names
what is missing, too long, too quiet or in a format the display's browser may not play."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from queue_app.ops.cli import cli
from queue_app.queue.voice import check_folder, recorded_file, segment_names, words_of
from tests.helpers import TEST_SITE, built_app, make_site

BUILT_IN = Path(__file__).resolve().parents[2] / "display" / "audio"


def tone(path: Path, seconds: float, amplitude: float, rate: int = 16000) -> Path:
    """A 440 Hz 16-bit mono WAV: loud or quiet, short or long, as the test needs."""
    n = int(seconds * rate)
    frames = b"".join(struct.pack("<h", int(amplitude * 32767 * math.sin(2 * math.pi * 440 * i / rate)))
                      for i in range(n))
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames)
    return path


@pytest.fixture
def voice_dir(tmp_path) -> Path:
    folder = tmp_path / "suara"
    folder.mkdir()
    tone(folder / "tujuh.wav", 0.5, 0.8)  # fine
    tone(folder / "loket.wav", 3.6, 0.8)  # a word of 3.6 s: too long
    tone(folder / "satu.wav", 0.5, 0.02)  # -34 dBFS peak: too quiet
    (folder / "dua.m4a").write_bytes(b"\x00\x00\x00\x20ftypM4A ")  # a format the display may not play
    (folder / "nomor_antrean.mp3").write_bytes((BUILT_IN / "id" / "nomor_antrean.mp3").read_bytes())
    (folder / "catatan.txt").write_text("notes of the recording session")
    return folder


def test_check_names_missing_long_quiet_and_unplayable(voice_dir):
    report = check_folder(voice_dir)
    assert report.found == 4  # tujuh, loket, satu, nomor_antrean (dua.m4a is not playable)
    assert "silakan_menuju" in report.missing and "chime" in report.missing
    assert "tujuh" not in report.missing and "dua" not in report.missing
    assert [name for name, _ in report.too_long] == ["loket.wav"]
    assert [name for name, _ in report.too_quiet] == ["satu.wav"]
    assert [name for name, _ in report.bad_format] == ["dua.m4a"]
    assert not report.ok
    assert len(report.missing) == len(segment_names()) - 5


def test_voice_check_command(voice_dir):
    result = CliRunner().invoke(cli, ["voice", "check", str(voice_dir)])
    assert result.exit_code == 1
    out = result.output
    assert "silakan_menuju: silakan menuju" in out  # what the missing recording must say
    assert "loket.wav: 3.60 s, at most 3.0 s" in out
    assert "satu.wav: peak -34 dBFS" in out
    assert "dua.m4a" in out and "Format (1):" in out
    for bad in ("loket.wav", "satu.wav", "dua.m4a"):
        bad_path = voice_dir / bad
        bad_path.unlink()
    tone(voice_dir / "loket.wav", 0.6, 0.7)
    fixed = CliRunner().invoke(cli, ["voice", "check", str(voice_dir)])
    assert fixed.exit_code == 0 and "missing ones use the built-in voice" in fixed.output
    script = CliRunner().invoke(cli, ["voice", "script"]).output
    assert "nomor_antrean\tnomor antrean" in script and 'k\tthe letter K, said "ka"' in script


def test_recorded_file_only_for_known_names(voice_dir):
    assert recorded_file(voice_dir, "tujuh") == voice_dir / "tujuh.wav"
    assert recorded_file(voice_dir, "delapan") is None
    assert recorded_file(voice_dir, "../suara/tujuh") is None
    assert recorded_file(voice_dir, "catatan") is None
    assert words_of("b") == 'the letter B, said "be"'


def test_display_serves_the_building_voice_and_falls_back(tmp_path, voice_dir, db_url):
    text = TEST_SITE.replace('[display]\n', '[display]\nvoice_dir = "suara"\n', 1)
    with built_app(make_site(tmp_path, text), db_url) as app:
        client = app.test_client()

        def get(url: str):
            resp = client.get(url)
            resp.get_data()
            resp.close()  # send_file's stream
            return resp

        own = get("/display/audio/id/tujuh.mp3")
        assert own.status_code == 200 and own.data == (voice_dir / "tujuh.wav").read_bytes()
        assert own.mimetype in ("audio/wav", "audio/x-wav")
        fallback = get("/display/audio/id/delapan.mp3")  # not recorded: the built-in one
        assert fallback.status_code == 200 and fallback.data == (BUILT_IN / "id" / "delapan.mp3").read_bytes()
        chime = get("/display/audio/chime.mp3")
        assert chime.data == (BUILT_IN / "chime.mp3").read_bytes()
        assert get("/display/audio/id/catatan.mp3").status_code == 404
        assert get("/display/audio/id/..%2F..%2Fsuara%2Fcatatan.txt").status_code == 404
