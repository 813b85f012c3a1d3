"""A decoder for the ESC/POS subset our renderer emits, plus the commands a POS stream commonly holds.

Used by tests (does the job hold the number, the cut, a QR that scans?) and by the fake network
printer, which must tell DLE EOT status queries apart from bytes inside raster image data. It
parses incrementally: `parse_one` returns None when the buffer ends inside a command.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PIL import Image

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C
LF, CR, HT, FF = 0x0A, 0x0D, 0x09, 0x0C
EOT = 0x04

# number of argument bytes after ESC x / GS x for fixed-length commands
ESC_ARGS = {
    b"@": 0, b"!": 1, b"E": 1, b"a": 1, b"t": 1, b"d": 1, b"-": 1, b"M": 1, b"2": 0, b"3": 1,
    b"J": 1, b"G": 1, b"{": 1, b"V": 1, b"p": 3, b"R": 1, b" ": 1, b"r": 1, b"=": 1, b"e": 1,
    b"i": 0, b"m": 0, b"$": 2, b"\\": 2, b"U": 1, b"S": 0, b"L": 0, b"T": 1, b"<": 0,
}  # fmt: skip
GS_ARGS = {
    b"!": 1, b"B": 1, b"b": 1, b"L": 2, b"W": 2, b"H": 1, b"h": 1, b"w": 1, b"f": 1, b"a": 1,
    b"r": 1, b"I": 1, b"P": 2, b"$": 2, b"\\": 2, b"^": 3, b":": 0, b"/": 1, b"E": 1,
}  # fmt: skip
CUT_WITH_FEED = {65, 66, 97, 98, 103, 104}  # GS V m n forms
CODEPAGES = {0: "cp437", 2: "cp850", 3: "cp860", 4: "cp863", 5: "cp865", 16: "cp1252", 17: "cp866",
             18: "cp852", 19: "cp858"}  # fmt: skip


class DecodeError(ValueError):
    """The bytes are not ESC/POS this decoder understands (strict mode only)."""


@dataclass(frozen=True)
class Command:
    """One parsed element of the stream; `raw` is its exact bytes."""

    kind: str  # text lf cr init style size bold align codepage feed cut raster dle_eot status_other native_2d other
    raw: bytes
    arg: Any = None


def parse_one(buf: bytes, i: int = 0, *, strict: bool = False) -> tuple[Command, int] | None:
    """Parse the command starting at buf[i]; None when it is incomplete."""
    n = len(buf)
    if i >= n:
        return None
    b = buf[i]
    if b >= 0x20:
        j = i
        while j < n and buf[j] >= 0x20:
            j += 1
        return Command("text", buf[i:j]), j
    if b == LF:
        return Command("lf", buf[i : i + 1]), i + 1
    if b in (CR, HT, FF, 0x00):
        return Command("cr" if b == CR else "other", buf[i : i + 1]), i + 1
    if i + 1 >= n:
        return None
    c = buf[i + 1 : i + 2]
    if b == DLE:
        if c == b"\x04":  # DLE EOT n (n = 7, 8 take one more byte)
            if i + 2 >= n:
                return None
            q = buf[i + 2]
            end = i + 4 if q in (7, 8) else i + 3
            if end > n:
                return None
            return Command("dle_eot" if q in (1, 2, 3, 4) else "status_other", buf[i:end], q), end
        if c == b"\x05":  # DLE ENQ n
            return (Command("other", buf[i : i + 3]), i + 3) if i + 3 <= n else None
        if c == b"\x14":  # DLE DC4 fn m t
            return (Command("other", buf[i : i + 5]), i + 5) if i + 5 <= n else None
    if b == ESC:
        if c == b"*":  # ESC * m nL nH d... (column bit image)
            if i + 5 > n:
                return None
            m, width = buf[i + 2], buf[i + 3] | buf[i + 4] << 8
            end = i + 5 + width * (3 if m in (32, 33) else 1)
            return (Command("other", buf[i:end]), end) if end <= n else None
        if c == b"c":  # ESC c 3/4/5 n
            return (Command("other", buf[i : i + 4]), i + 4) if i + 4 <= n else None
        if c in ESC_ARGS:
            end = i + 2 + ESC_ARGS[c]
            if end > n:
                return None
            raw = buf[i:end]
            arg = raw[2] if len(raw) > 2 else None
            kind = {b"@": "init", b"!": "style", b"E": "bold", b"a": "align", b"t": "codepage", b"d": "feed"}
            return Command(kind.get(c, "other"), raw, arg), end
    if b == GS:
        if c == b"V":
            if i + 3 > n:
                return None
            m = buf[i + 2]
            end = i + 4 if m in CUT_WITH_FEED else i + 3
            return (Command("cut", buf[i:end], m), end) if end <= n else None
        if c == b"v":  # GS v 0 m xL xH yL yH d...
            if i + 8 > n:
                return None
            wbytes, height = buf[i + 4] | buf[i + 5] << 8, buf[i + 6] | buf[i + 7] << 8
            end = i + 8 + wbytes * height
            if end > n:
                return None
            return Command("raster", buf[i:end], (wbytes, height, buf[i + 8 : end])), end
        if c in (b"(", b"8"):  # GS ( fn pL pH d... / GS 8 L p1..p4 d...
            head = 5 if c == b"(" else 7
            if i + head > n:
                return None
            size = buf[i + 3] | buf[i + 4] << 8 if c == b"(" else int.from_bytes(buf[i + 3 : i + 7], "little")
            end = i + head + size
            if end > n:
                return None
            raw = buf[i:end]
            kind = "native_2d" if raw[2:3] == b"k" else "other"
            return Command(kind, raw, raw[head:]), end
        if c == b"k":  # GS k m ... barcode
            if i + 3 > n:
                return None
            m = buf[i + 2]
            if m <= 6:
                j = buf.find(b"\x00", i + 3)
                return (Command("other", buf[i : j + 1]), j + 1) if j >= 0 else None
            if i + 4 > n:
                return None
            end = i + 4 + buf[i + 3]
            return (Command("other", buf[i:end]), end) if end <= n else None
        if c in GS_ARGS:
            end = i + 2 + GS_ARGS[c]
            if end > n:
                return None
            raw = buf[i:end]
            return Command("size" if c == b"!" else "other", raw, raw[2] if len(raw) > 2 else None), end
    if b == FS and c in (b".", b"&"):
        return Command("other", buf[i : i + 2]), i + 2
    if strict:
        raise DecodeError(f"unknown command {buf[i : i + 3]!r} at offset {i}")
    return Command("other", buf[i : i + 1]), i + 1


class EscposStream:
    """Incremental parser for a byte stream arriving in arbitrary chunks (the fake printer's socket)."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[Command]:
        self._buf += data
        out: list[Command] = []
        i = 0
        while True:
            got = parse_one(self._buf, i)
            if got is None:
                break
            cmd, i = got
            out.append(cmd)
        self._buf = self._buf[i:]
        return out

    @property
    def pending(self) -> bytes:
        """Bytes of an unfinished command (e.g. a job cut off mid-image)."""
        return self._buf


def iter_commands(data: bytes, *, strict: bool = False) -> list[Command]:
    """All commands of a complete job; a truncated tail becomes a single 'truncated' command."""
    out: list[Command] = []
    i = 0
    while i < len(data):
        got = parse_one(data, i, strict=strict)
        if got is None:
            if strict:
                raise DecodeError(f"job truncated inside a command at offset {i}")
            out.append(Command("truncated", data[i:]))
            break
        cmd, i = got
        out.append(cmd)
    return out


@dataclass(frozen=True)
class Line:
    """A printed text line with the style in force when it started."""

    text: str
    width: int = 1
    height: int = 1
    bold: bool = False
    align: int = 0


@dataclass
class DecodedJob:
    """What a job would print: text lines, raster images, cuts and anything unexpected."""

    lines: list[Line] = field(default_factory=list)
    images: list[Image.Image] = field(default_factory=list)
    flow: list[Line | Image.Image] = field(default_factory=list)  # lines and images in paper order
    cuts: int = 0
    status_queries: list[int] = field(default_factory=list)
    native_2d: list[bytes] = field(default_factory=list)
    truncated: bool = False
    unknown: list[bytes] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def largest_line(self) -> Line | None:
        """The line printed in the biggest size: on a ticket, the queue number."""
        if not self.lines:
            return None
        return max(self.lines, key=lambda ln: (ln.width * ln.height, ln.height))

    @property
    def ends_with_cut(self) -> bool:
        return self.cuts > 0


def _raster_image(wbytes: int, height: int, data: bytes) -> Image.Image:
    # ESC/POS: bit set = black dot; PIL "1;I" is the inverted 1-bit raw mode
    return Image.frombytes("1", (wbytes * 8, height), bytes(data), "raw", "1;I")


def decode(data: bytes, *, strict: bool = False) -> DecodedJob:
    """Interpret a job's bytes as a printer would (text, style, images, cuts)."""
    job = DecodedJob()
    width = height = 1
    bold = False
    align = 0
    codec = "cp437"
    current: list[str] = []
    line_style: tuple[int, int, bool, int] | None = None
    last_raster: tuple[int, Image.Image] | None = None  # (index in images, image) for stacking fragments

    def flush() -> None:
        nonlocal current, line_style
        style = line_style or (width, height, bold, align)
        job.lines.append(Line("".join(current), *style))
        job.flow.append(job.lines[-1])
        current, line_style = [], None

    for cmd in iter_commands(data, strict=strict):
        if cmd.kind != "raster":
            last_raster = None if cmd.kind not in ("style", "align", "bold", "size") else last_raster
        if cmd.kind == "text":
            if line_style is None:
                line_style = (width, height, bold, align)
            current.append(cmd.raw.decode(codec, errors="replace"))
        elif cmd.kind == "lf":
            flush()
        elif cmd.kind == "feed":
            if current:
                flush()
            for _ in range(cmd.arg or 0):
                job.lines.append(Line("", width, height, bold, align))
                job.flow.append(job.lines[-1])
        elif cmd.kind == "init":
            width = height = 1
            bold, align, codec = False, 0, "cp437"
        elif cmd.kind == "style":  # ESC ! n: bit 4 double height, bit 5 double width, bit 3 emphasised
            height = 2 if cmd.arg & 0x10 else 1
            width = 2 if cmd.arg & 0x20 else 1
            bold = bool(cmd.arg & 0x08)
        elif cmd.kind == "size":  # GS ! n: high nibble width-1, low nibble height-1
            width, height = (cmd.arg >> 4) + 1, (cmd.arg & 0x0F) + 1
        elif cmd.kind == "bold":
            bold = bool(cmd.arg & 1)
        elif cmd.kind == "align":
            align = cmd.arg % 48 if cmd.arg >= 48 else cmd.arg
        elif cmd.kind == "codepage":
            codec = CODEPAGES.get(cmd.arg, "cp437")
        elif cmd.kind == "cut":
            if current:
                flush()
            job.cuts += 1
        elif cmd.kind == "raster":
            wbytes, h, pixels = cmd.arg
            img = _raster_image(wbytes, h, pixels)
            if last_raster is not None and last_raster[1].width == img.width:
                idx, prev = last_raster
                merged = Image.new("1", (prev.width, prev.height + img.height), 1)
                merged.paste(prev, (0, 0))
                merged.paste(img, (0, prev.height))
                job.images[idx] = merged
                job.flow[job.flow.index(prev)] = merged
                last_raster = (idx, merged)
            else:
                job.images.append(img)
                job.flow.append(img)
                last_raster = (len(job.images) - 1, img)
        elif cmd.kind == "dle_eot":
            job.status_queries.append(cmd.arg)
        elif cmd.kind == "native_2d":
            job.native_2d.append(cmd.arg)
        elif cmd.kind == "truncated":
            job.truncated = True
        elif cmd.kind == "other" and strict:
            job.unknown.append(cmd.raw)
    if current:
        flush()
    return job


def read_qr_codes(job: DecodedJob) -> list[str]:
    """Texts of every QR code found in the job's raster images (needs zxing-cpp, a test dependency)."""
    import zxingcpp

    found: list[str] = []
    for img in job.images:
        # a quiet zone around the image helps when the code touches the edge
        framed = Image.new("L", (img.width + 40, img.height + 40), 255)
        framed.paste(img.convert("L"), (20, 20))
        for result in zxingcpp.read_barcodes(framed):
            if result.format == zxingcpp.BarcodeFormat.QRCode:
                found.append(result.text)
    return found
