"""DLE EOT decoding and the ESC/POS stream parser the fake printer relies on."""

from __future__ import annotations

import pytest

from printers import PrinterState, render_escpos
from printers.escpos_decode import EscposStream, decode, iter_commands
from printers.status import decode_status, query, status_byte

from .helpers import PROFILE_80, make_slip

OK = 0x12  # fixed bits only


@pytest.mark.parametrize(
    ("printer", "offline", "paper", "expected"),
    [
        (OK, OK, OK, PrinterState.ok),
        (None, None, None, PrinterState.offline),  # no answer at all
        (OK, None, None, PrinterState.ok),  # old printers answer n=1 only
        (OK | 0x08, OK, OK, PrinterState.offline),  # offline bit
        (OK | 0x08, OK | 0x04, OK, PrinterState.offline),  # cover open
        (OK | 0x08, OK | 0x40, OK, PrinterState.offline),  # error occurred
        (OK, OK, OK | 0x0C, PrinterState.paper_low),  # near-end sensor
        (OK, OK, OK | 0x04, PrinterState.paper_low),  # some models set only one of the two near-end bits
        (OK, OK, OK | 0x60, PrinterState.paper_out),  # paper end
        (OK | 0x08, OK | 0x20, OK | 0x6C, PrinterState.paper_out),  # paper end wins over offline
        (OK | 0x08, OK | 0x20, None, PrinterState.paper_out),  # stopped for paper end
        (OK | 0x08, OK | 0x04, OK | 0x0C, PrinterState.offline),  # cover open beats near-end
        (0xFF, OK, OK, PrinterState.unknown),  # fixed bits wrong: line noise, not a status
        (OK, 0x00, OK, PrinterState.unknown),
    ],
)
def test_decode_status(
    printer: int | None, offline: int | None, paper: int | None, expected: PrinterState
) -> None:
    assert decode_status(printer, offline, paper) is expected


@pytest.mark.parametrize("state", [s for s in PrinterState if s is not PrinterState.unknown])
def test_fake_answers_decode_to_their_state(state: PrinterState) -> None:
    answers = [status_byte(n, state) for n in (1, 2, 4)]
    assert decode_status(*answers) is state


def test_queries_are_three_bytes() -> None:
    assert [query(n) for n in (1, 2, 4)] == [b"\x10\x04\x01", b"\x10\x04\x02", b"\x10\x04\x04"]


def _merge_text(cmds: list) -> list[tuple[str, bytes]]:
    """Text may arrive split across chunks; everything else must come out whole."""
    out: list[tuple[str, bytes]] = []
    for c in cmds:
        if c.kind == "text" and out and out[-1][0] == "text":
            out[-1] = ("text", out[-1][1] + c.raw)
        else:
            out.append((c.kind, c.raw))
    return out


def test_stream_parser_is_chunking_independent() -> None:
    job = query(1) + render_escpos(make_slip(), PROFILE_80) + query(4)
    whole = iter_commands(job)
    assert b"".join(c.raw for c in whole) == job
    for size in (1, 7, 100, 4096):
        stream = EscposStream()
        got = []
        for i in range(0, len(job), size):
            got += stream.feed(job[i : i + size])
        assert _merge_text(got) == _merge_text(whole)
        assert [c.arg for c in got if c.kind == "dle_eot"] == [1, 4]
        assert stream.pending == b""


def test_dle_eot_bytes_inside_image_data_are_not_queries() -> None:
    # a raster whose pixel data happens to contain 10 04 01
    pixels = b"\x10\x04\x01" + b"\x00" * 5
    raster = b"\x1dv0\x00\x01\x00" + bytes((len(pixels), 0)) + pixels
    cmds = iter_commands(query(2) + raster + b"\x1dV\x00")
    assert [c.kind for c in cmds] == ["dle_eot", "raster", "cut"]
    job = decode(raster)
    assert job.status_queries == [] and len(job.images) == 1


def test_truncated_job_is_flagged() -> None:
    data = render_escpos(make_slip(), PROFILE_80)
    cut_short = data[: len(data) // 2]
    job = decode(cut_short)
    assert job.truncated and job.cuts == 0
    with pytest.raises(ValueError):
        decode(cut_short, strict=True)
