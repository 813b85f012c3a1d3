"""The ticket layout as ESC/POS bytes and as a PNG preview, checked by decoding them back."""

from __future__ import annotations

import io

import pytest
import zxingcpp
from PIL import Image

from printers import render_escpos, render_png
from printers.escpos_decode import decode, read_qr_codes
from printers.profiles import paper_for
from printers.render import NUMBER_HEIGHT, render_test_escpos, render_test_png

from .helpers import PROFILE_58, PROFILE_58_NO_CUTTER, PROFILE_80, TRACK_URL, make_slip

PROFILES = [(PROFILE_80, 80, 576), (PROFILE_58, 58, 432), (PROFILE_58_NO_CUTTER, 58, 384)]


@pytest.mark.parametrize(("profile", "mm", "dots"), PROFILES)
def test_paper_width_follows_the_profile(profile: str, mm: int, dots: int) -> None:
    paper = paper_for(profile)
    assert (paper.paper_mm, paper.dots) == (mm, dots)


@pytest.mark.parametrize("profile", [PROFILE_80, PROFILE_58])
def test_escpos_holds_number_cut_and_scannable_qr(profile: str) -> None:
    job = decode(render_escpos(make_slip(), profile), strict=True)
    assert job.unknown == [] and not job.truncated
    number = job.largest_line()
    assert number is not None and number.text == "A-007"
    assert number.height == NUMBER_HEIGHT  # the largest size ESC/POS has
    assert number.width * len("A-007") <= paper_for(profile).columns  # and it still fits on one line
    assert job.cuts == 1
    assert read_qr_codes(job) == [TRACK_URL]
    assert all(img.width <= paper_for(profile).dots for img in job.images)


def test_escpos_holds_every_line_of_the_ticket() -> None:
    text = decode(render_escpos(make_slip(), PROFILE_80)).text
    for expected in [
        "MPP Kota Cilegon",
        "Dinas Penanaman Modal dan Pelayanan Terpadu Satu",  # wrapped at 48 columns
        "Perizinan Berusaha",
        "28 November 2026 08:15",
        "3 orang di depan Anda",
        "Perkiraan tunggu ± 15 menit",
        "Terima kasih atas kunjungan Anda",
    ]:
        assert expected in text
    assert "PRIORITAS" not in text


def test_priority_and_english_labels() -> None:
    id_text = decode(render_escpos(make_slip(priority=True), PROFILE_80)).text
    assert "PRIORITAS" in id_text
    en_text = decode(render_escpos(make_slip(priority=True, locale="en"), PROFILE_80)).text
    assert (
        "PRIORITY" in en_text and "3 people ahead of you" in en_text and "Estimated wait ± 15 min" in en_text
    )


def test_no_estimate_prints_no_wait_line() -> None:
    text = decode(render_escpos(make_slip(estimated_wait_seconds=None), PROFILE_80)).text
    assert "Perkiraan" not in text and "3 orang di depan Anda" in text


def test_nobody_on_duty_is_printed_instead_of_a_wait() -> None:
    """Issue 34: with no clerk on duty the slip read "Perkiraan tunggu ± 0 menit"."""
    slip = make_slip(estimated_wait_seconds=None, nobody_on_duty=True, ahead=1)
    text = decode(render_escpos(slip, PROFILE_58_NO_CUTTER)).text
    assert "Belum ada petugas" in text and "Perkiraan" not in text and "1 orang di depan Anda" in text
    en = decode(render_escpos(make_slip(estimated_wait_seconds=None, nobody_on_duty=True, locale="en"),
                              PROFILE_80)).text
    assert "No clerk on duty yet" in en and "Estimated wait" not in en


def test_printer_without_cutter_feeds_past_the_tear_bar() -> None:
    job = decode(render_escpos(make_slip(), PROFILE_58_NO_CUTTER), strict=True)
    assert job.cuts == 0
    assert job.lines[-6:] == [job.lines[-1]] * 6 and job.lines[-1].text == ""
    assert read_qr_codes(job) == [TRACK_URL]
    forced = decode(render_escpos(make_slip(), PROFILE_58_NO_CUTTER, cut=True))
    assert forced.cuts == 1
    assert decode(render_escpos(make_slip(), PROFILE_80, cut=False)).cuts == 0


def test_long_number_shrinks_to_fit_58mm() -> None:
    job = decode(render_escpos(make_slip(number="PRZ-1234"), PROFILE_58))
    line = job.largest_line()
    assert line is not None and line.text == "PRZ-1234"
    assert line.width * len(line.text) <= paper_for(PROFILE_58).columns


def test_unknown_profile_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown printer profile"):
        render_escpos(make_slip(), "NO-SUCH-PRINTER")


@pytest.mark.parametrize(("profile", "mm", "dots"), PROFILES)
def test_png_preview_has_paper_width_and_scannable_qr(profile: str, mm: int, dots: int) -> None:
    png = render_png(make_slip(), profile)
    img = Image.open(io.BytesIO(png))
    assert img.format == "PNG"
    assert img.width == dots
    assert img.height > img.width  # a slip, not a square
    found = [r.text for r in zxingcpp.read_barcodes(img) if r.format == zxingcpp.BarcodeFormat.QRCode]
    assert found == [TRACK_URL]


def test_png_preview_differs_for_priority() -> None:
    assert render_png(make_slip(priority=True), PROFILE_80) != render_png(make_slip(), PROFILE_80)


def test_test_slip() -> None:
    job = decode(render_test_escpos("MPP Kota Cilegon", PROFILE_80), strict=True)
    assert "TES PRINTER" in job.text and "MPP Kota Cilegon" in job.text
    assert job.cuts == 1 and read_qr_codes(job) == ["MPP Kota Cilegon"]
    assert Image.open(io.BytesIO(render_test_png("MPP Kota Cilegon", PROFILE_58))).width == 432
