"""The ticket layout, rendered to ESC/POS bytes (python-escpos) and to a PNG preview (Pillow).

Both renderers walk the same list of blocks built by `layout()`, so the preview a manager sees
is the slip the visitor gets. The QR code goes out as a raster image (GS v 0): every thermal
printer prints that, while native QR (GS ( k) is missing on many cheap 58 mm printers.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFont

from .profiles import Paper, paper_for
from .slip import TicketSlip, format_ahead, format_datetime, format_wait, label

NUMBER_HEIGHT = 8  # ESC/POS maximum character magnification
QR_SHARE = 0.6  # QR width as a share of the printable width


@dataclass(frozen=True)
class Text:
    """One printed line; `width`/`height` are ESC/POS character magnifications (1-8)."""

    text: str
    width: int = 1
    height: int = 1
    bold: bool = False
    align: str = "center"


@dataclass(frozen=True)
class Rule:
    """A full-width separator line."""


@dataclass(frozen=True)
class QrCode:
    """A QR code of `data`, printed as a raster image."""

    data: str


@dataclass(frozen=True)
class Feed:
    """Blank lines."""

    lines: int = 1


@dataclass(frozen=True)
class Raster:
    """A ready 1-bit image (used to preview decoded jobs, whose QR is already pixels)."""

    image: Image.Image


Block = Text | Rule | QrCode | Feed | Raster


def _wrap(text: str, columns: int, **style: object) -> list[Text]:
    """Wrap long names to the paper's width so the printer never breaks words itself."""
    width = int(style.get("width", 1))  # type: ignore[call-overload]
    lines = textwrap.wrap(text, max(4, columns // width)) or []
    return [Text(line, **style) for line in lines]  # type: ignore[arg-type]


def number_width(number: str, columns: int) -> int:
    """The largest magnification at which the number still fits on one line."""
    return max(1, min(NUMBER_HEIGHT, columns // max(1, len(number))))


def layout(slip: TicketSlip, paper: Paper) -> list[Block]:
    """The ticket, top to bottom."""
    cols = paper.columns
    blocks: list[Block] = []
    blocks += _wrap(slip.site_name, cols, bold=True)
    blocks += _wrap(slip.agency_name, cols)
    blocks.append(Rule())
    blocks += _wrap(slip.service_name, cols // 2 * 2, bold=True, height=2)
    blocks.append(Text(label("number", slip.locale)))
    blocks.append(Text(slip.number, width=number_width(slip.number, cols), height=NUMBER_HEIGHT, bold=True))
    if slip.priority:
        blocks.append(Text(label("priority", slip.locale), width=2, height=2, bold=True))
    if slip.booked_slot:  # the clerk sees at a glance that this visitor booked, and for when
        blocks.append(Text(label("booked", slip.locale).format(slot=slip.booked_slot), bold=True))
    blocks.append(Text(format_datetime(slip.issued_at, slip.locale)))
    blocks.append(Feed())
    blocks.append(Text(format_ahead(slip.ahead, slip.locale), bold=True))
    wait = format_wait(slip.estimated_wait_seconds, slip.locale, nobody_on_duty=slip.nobody_on_duty)
    if wait:
        blocks.append(Text(wait))
    blocks.append(Feed())
    blocks.append(QrCode(slip.track_url))
    blocks += _wrap(label("scan", slip.locale), cols)
    if slip.footer:
        blocks.append(Rule())
        blocks += _wrap(slip.footer, cols)
    return blocks


def selftest_layout(site_name: str, paper: Paper, when: datetime, locale: str = "id") -> list[Block]:
    """A short slip that proves text, the largest size, a raster image and the cutter work."""
    return [
        Text(label("test_title", locale), width=2, height=2, bold=True),
        *_wrap(site_name, paper.columns),
        Text(format_datetime(when, locale)),
        Text(f"{paper.profile} · {paper.name} · {paper.dots} dots"),
        Rule(),
        *_wrap(label("test_body", locale), paper.columns),
        QrCode(site_name or "mpp-queue"),
    ]


# ---------------------------------------------------------------- QR


def qr_image(data: str, paper: Paper) -> Image.Image:
    """A 1-bit QR image as wide as the paper with the code centred; modules are whole dots."""
    qr = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0, box_size=1)
    qr.add_data(data)
    qr.make(fit=True)
    modules = qr.modules_count
    quiet = 4
    box = max(2, int(paper.dots * QR_SHARE) // (modules + 2 * quiet))
    code = qr.make_image(fill_color="black", back_color="white").get_image().convert("1")
    code = code.resize((modules * box, modules * box), Image.NEAREST)
    side = (modules + 2 * quiet) * box
    canvas = Image.new("1", (paper.dots, side), 1)
    canvas.paste(code, ((paper.dots - modules * box) // 2, quiet * box))
    return canvas


# ---------------------------------------------------------------- ESC/POS


def _escpos_bytes(blocks: list[Block], paper: Paper, cut: bool | None = None) -> bytes:
    from escpos.constants import PAPER_FULL_CUT
    from escpos.printer import Dummy

    p = Dummy(profile=paper.profile)
    p.hw("INIT")
    for block in blocks:
        if isinstance(block, Text):
            if block.width == 1 and block.height == 1:
                p.set(align=block.align, bold=block.bold, normal_textsize=True)
            else:
                p.set(
                    align=block.align,
                    bold=block.bold,
                    custom_size=True,
                    width=block.width,
                    height=block.height,
                )
            p.text(block.text + "\n")
        elif isinstance(block, Rule):
            p.set(align="left", bold=False, normal_textsize=True)
            p.text("-" * paper.columns + "\n")
        elif isinstance(block, Feed):
            p.ln(block.lines)
        elif isinstance(block, QrCode | Raster):
            img = qr_image(block.data, paper) if isinstance(block, QrCode) else block.image
            p.set(align="left", normal_textsize=True)
            p.image(img, impl="bitImageRaster")
    p.set(align="left", bold=False, normal_textsize=True)
    if cut is None:
        cut = paper.cutter
    if cut and paper.cutter:
        p.cut()
    elif cut:  # a cutter the capabilities database does not know about
        p.print_and_feed(6)
        p._raw(PAPER_FULL_CUT)
    else:  # tear-off bar: feed the slip past it
        p.print_and_feed(6)
    return p.output


def render_escpos(slip: TicketSlip, profile: str = "TM-T82II", *, cut: bool | None = None) -> bytes:
    """The ticket as ESC/POS bytes for a printer with this python-escpos profile.

    `cut=None` cuts when the profile has a cutter and otherwise feeds the slip past the tear bar;
    True/False override the profile (PrinterConfig.cut).
    """
    paper = paper_for(profile)
    return _escpos_bytes(layout(slip, paper), paper, cut=cut)


def render_test_escpos(
    site_name: str, profile: str = "TM-T82II", *, when: datetime | None = None, cut: bool | None = None
) -> bytes:
    """The test slip (`mpp-queue printer test`) as ESC/POS bytes."""
    paper = paper_for(profile)
    when = when or datetime.now().astimezone()
    return _escpos_bytes(selftest_layout(site_name, paper, when), paper, cut=cut)


# ---------------------------------------------------------------- PNG

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts")
MARGIN = 8  # px above and below the slip in the preview


def _font_path(bold: bool) -> str | None:
    name = "DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf"
    for d in FONT_DIRS:
        if (Path(d) / name).is_file():
            return str(Path(d) / name)
    return None


@lru_cache(maxsize=64)
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_path(bold)
    if path:
        return ImageFont.truetype(path, size)
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):  # Pillow without FreeType: bitmap font, fixed size
        return ImageFont.load_default()


def _text_image(block: Text, paper: Paper) -> Image.Image:
    """One line drawn in a cell grid matching the printer's: cell = dots/columns wide, twice that high.

    The font is drawn at the magnified height and then stretched to the magnified width, which is
    what the printer does with GS ! but without its blocky pixels.
    """
    cell_w = paper.dots / paper.columns
    cell_h = round(cell_w * 2) * block.height
    font = _font(max(8, round(cell_w * 1.6 * block.height)), block.bold)
    natural_w = max(1, round(font.getlength(block.text))) if block.text else 1
    img = Image.new("1", (natural_w, cell_h), 1)
    ImageDraw.Draw(img).text((0, cell_h // 2), block.text, font=font, fill=0, anchor="lm")
    target_w = round(cell_w * block.width * len(block.text)) if block.text else 1
    return img.resize((max(1, min(target_w, paper.dots)), cell_h), Image.LANCZOS).convert("1")


def _png_rows(blocks: list[Block], paper: Paper) -> list[tuple[Image.Image | None, int, str]]:
    rows: list[tuple[Image.Image | None, int, str]] = []
    cell_h = round(paper.dots / paper.columns * 2)
    for block in blocks:
        if isinstance(block, Text):
            rows.append((_text_image(block, paper), 0, block.align))
        elif isinstance(block, Rule):
            rows.append((None, cell_h, "rule"))
        elif isinstance(block, Feed):
            rows.append((None, cell_h * block.lines, "feed"))
        elif isinstance(block, QrCode):
            rows.append((qr_image(block.data, paper), 0, "left"))
        elif isinstance(block, Raster):
            rows.append((block.image, 0, "left"))
    return rows


def render_blocks_png(blocks: list[Block], paper: Paper) -> bytes:
    """Any block list as a PNG at the paper's dot width (the fake printer previews decoded jobs with it)."""
    return _png_bytes(blocks, paper)


def _png_bytes(blocks: list[Block], paper: Paper) -> bytes:
    rows = _png_rows(blocks, paper)
    height = 2 * MARGIN + sum(img.height if img is not None else h for img, h, _ in rows)
    sheet = Image.new("L", (paper.dots, height), 255)
    draw = ImageDraw.Draw(sheet)
    y = MARGIN
    for img, h, how in rows:
        if img is None:
            if how == "rule":
                draw.line((0, y + h // 2, paper.dots - 1, y + h // 2), fill=0, width=2)
            y += h
            continue
        if how == "center":
            x = (paper.dots - img.width) // 2
        elif how == "right":
            x = paper.dots - img.width
        else:
            x = 0
        sheet.paste(img.convert("L"), (x, y))
        y += img.height
    out = io.BytesIO()
    sheet.save(out, format="PNG", optimize=True)
    return out.getvalue()


def render_png(slip: TicketSlip, profile: str = "TM-T82II") -> bytes:
    """A PNG preview of the ticket, exactly the paper's printable width in pixels (one pixel per dot)."""
    paper = paper_for(profile)
    return _png_bytes(layout(slip, paper), paper)


def render_test_png(site_name: str, profile: str = "TM-T82II", *, when: datetime | None = None) -> bytes:
    """A PNG preview of the test slip."""
    paper = paper_for(profile)
    return _png_bytes(selftest_layout(site_name, paper, when or datetime.now().astimezone()), paper)
