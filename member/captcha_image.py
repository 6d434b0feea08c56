"""Draw a captcha answer as a PNG that people read and off-the-shelf OCR misreads.

A pure drawing module: no Django, no request, no session. The caller decides the answer and where
the font lives; this module only turns text into image bytes. All randomness comes from the ``rng``
argument so tests can pass a seeded ``random.Random`` and get the same bytes back.

The distortions each break one step of an OCR pipeline while people, who see colour, barely
notice them:

- per-character rotation, size and baseline offset, neighbours tilting and stepping opposite
  ways and overlapping a little: no common baseline or pitch for segmentation to lock onto;
- two thick interference curves crossing the text behind the glyphs, in the glyphs' own colours
  and lightness, nearly as wide as a glyph stroke: a grey threshold keeps them, a median filter
  small enough to spare the glyphs spares them too, yet in colour every glyph stays whole on top;
- a smooth sine warp of the whole text layer: straight strokes, which glyph classifiers key on,
  become gently curved;
- dots and a soft mottled background in varied pale colours: cosmetically mild noise.

Tesseract (``--psm 7``, hex whitelist) read 87% of 500 seed-style plain red captchas exactly and
0.2% of these, with or without a median filter and threshold first (``python -m bench.ocr``).
"""

from __future__ import annotations

import colorsys
import dataclasses
import functools
import io
import itertools
import math
import random

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

__all__ = ["render_png"]

# Font size as a share of the image height. Caps of this font are about 0.78 em high, so glyphs fill
# some 60% of the height: as large as rotation, baseline jitter and the warp leave room for, since
# size is what keeps them legible at 1x.
_FONT_EM_PER_HEIGHT = 0.78
# Average advance of this font's digits and capitals as a share of the em; used to shrink the font
# so long answers fit the width.
_ADVANCE_PER_EM = 0.62
# Neighbouring glyphs overlap by this share of the narrower one's width: touching characters
# defeat segmentation, while each keeps most of itself clear for people.
_OVERLAP = 0.12
# Rotation in degrees, counter-clockwise. The font leans right by about 9 degrees, so turns are
# measured from upright. Neighbours turn opposite ways, each by a random amount in this range:
# every image then has strongly tilted characters, with no lucky near-upright ones for OCR.
_UPRIGHT_DEGREES = 9.0
_TILT_DEGREES = (6.0, 23.0)
# Characters told apart by their angle keep close to upright, turned anywhere in this range
# whatever their neighbours do. This font's 1 has a long flag: turned much either way it reads as
# a 7, and a 7 turned clockwise reads as a 1; a 4 turned anticlockwise slants its stem like the
# right leg of an A.
_NARROW_ROTATION_DEGREES = (-4.0, 10.0)
_ANGLE_SENSITIVE = frozenset("147A")
# Each character's size varies by up to this share of the em.
_SCALE_JITTER = 0.12
# Largest vertical offset of a character's centre, as a share of the image height.
_BASELINE_JITTER = 0.1
# Interference curve widths as shares of the image height; glyph strokes are about 0.12. A median
# filter erases a curve much thinner than a glyph stroke (thin 0.03 curves let median-filtered OCR
# read some 9% in development), so both come close to it and pass behind the glyphs instead.
_CURVE_WIDTHS = (0.06, 0.045)
# Where a curve's centre line runs, as shares of the image height from the top: one just above
# the middle and one just below, so they cross the glyphs at different heights, yet both keep to
# the middle, where most of these glyphs have a bar or a crossing anyway. Curves running along a
# glyph's foot made an E of an F.
_CURVE_BANDS = ((0.38, 0.46), (0.54, 0.62))
# Half the peak-to-peak swing of a curve, as a share of the image height.
_CURVE_AMPLITUDE = (0.05, 0.12)
# Length of one wave, as a share of the image width.
_CURVE_WAVELENGTH = (0.5, 1.1)
# Vertical warp amplitude as a share of the image height.
_WARP_Y_RANGE = (0.04, 0.08)
# Mesh cells of the warp: fine enough that the piecewise-linear bend looks smooth, few enough to
# stay cheap.
_MESH_COLUMNS = 12
_MESH_ROWS = 4


@functools.lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """Load ``path`` at ``size`` px once; every image asks for the same handful of sizes."""
    return ImageFont.truetype(path, size)


def render_png(
    text: str,
    *,
    width: int,
    height: int,
    font_path: str,
    scale: int = 2,
    rng: random.Random | None = None,
) -> bytes:
    """Return PNG bytes showing ``text`` distorted against OCR.

    The PNG is exactly ``width * scale`` by ``height * scale`` pixels, meant to be shown at
    ``width`` x ``height`` CSS pixels so high-density screens get a crisp image. ``text`` is 1 or
    more characters (designed for 1..12 alphanumerics; the font shrinks so they fit the width).
    ``font_path`` is any font file Pillow's FreeType loader reads. Randomness comes only from
    ``rng`` (default: a fresh ``random.SystemRandom``), so equal seeds give equal bytes.

    Raises ``ValueError`` for empty text or a non-positive size or scale.
    """
    if not text:
        raise ValueError("captcha text must not be empty")
    if width < 1 or height < 1 or scale < 1:
        raise ValueError("width, height and scale must be positive")
    rng = rng if rng is not None else random.SystemRandom()
    size = (width * scale, height * scale)

    colours = _ink_colours(len(text), rng)
    glyphs = _place_glyphs(text, colours, size, font_path, rng)
    # Each character owns the stretch of a curve between the midpoints to its neighbours.
    centres = [glyph.centre for glyph in glyphs]
    bounds = [0.0, *((a + b) / 2 for a, b in itertools.pairwise(centres)), float(size[0])]

    layer = Image.new("RGBA", size, (0, 0, 0, 0))
    # The curves go behind the glyphs: in colour each glyph stays whole and people see the curve
    # pass behind it; in grey, glyph and curve are one shape. Which curve runs above the middle
    # and which below is random.
    bands = rng.sample(_CURVE_BANDS, len(_CURVE_BANDS))
    for share, band in zip(_CURVE_WIDTHS, bands, strict=True):
        _draw_curve(layer, bounds, colours, share, band, rng)
    # Pillow draws shapes without anti-aliasing; a slight blur stops the warp from serrating them.
    layer = layer.filter(ImageFilter.GaussianBlur(scale * 0.4))
    for glyph in glyphs:
        layer.paste((*glyph.colour, 255), glyph.box, glyph.mask)
    layer = _warp(layer, rng)

    image = _background(size, rng)
    image.alpha_composite(layer)
    _draw_dots(image, colours, rng)

    out = io.BytesIO()
    # Level 1: level 6 would save about 15% of the ~29 KB at about 2 ms more CPU on every
    # captcha request.
    image.convert("RGB").save(out, "PNG", compress_level=1)
    return out.getvalue()


def _ink_colours(count: int, rng: random.Random) -> list[tuple[int, int, int]]:
    """Dark, saturated colours with hues spread apart, so neighbours always differ."""
    hue = rng.random()
    step = 0.618033988749895  # golden ratio conjugate: successive hues stay far apart
    colours = []
    for _ in range(count):
        hue = (hue + step + rng.uniform(-0.05, 0.05)) % 1.0
        r, g, b = colorsys.hsv_to_rgb(hue, rng.uniform(0.55, 0.9), 0.6)
        # Equal HSV values look very unequal: yellows come out far lighter than blues. Scaling to
        # a target luma keeps every character well contrasted against the pale background.
        dim = rng.uniform(0.2, 0.34) / (0.299 * r + 0.587 * g + 0.114 * b)
        colours.append((_channel(r * dim), _channel(g * dim), _channel(b * dim)))
    return colours


def _channel(value: float) -> int:
    """A 0..1 colour component as a 0..255 byte."""
    return min(255, round(value * 255))


@dataclasses.dataclass(frozen=True)
class _Glyph:
    """One character ready to paste: its ink mask, where it goes, its colour."""

    mask: Image.Image
    box: tuple[int, int, int, int]
    colour: tuple[int, int, int]
    centre: float


def _place_glyphs(
    text: str,
    colours: list[tuple[int, int, int]],
    size: tuple[int, int],
    font_path: str,
    rng: random.Random,
) -> list[_Glyph]:
    """Draw each character rotated and resized, and choose where it goes on the image."""
    width, height = size
    margin = width * 0.04
    em = min(height * _FONT_EM_PER_HEIGHT, (width - 2 * margin) / (len(text) * _ADVANCE_PER_EM))
    lean = rng.choice((1, -1))
    masks = [
        _glyph_mask(char, em, font_path, rng, lean=lean * (-1) ** i) for i, char in enumerate(text)
    ]

    # Neighbours overlap by a share of the narrower one, so a slim 1 is never swallowed whole.
    overlaps = [_OVERLAP * min(a.width, b.width) for a, b in itertools.pairwise(masks)] + [0.0]
    total = sum(mask.width for mask in masks) - sum(overlaps)
    # Squeeze rather than clip when the rotated glyphs came out wider than the estimate.
    squeeze = min(1.0, (width - 2 * margin) / total)
    # The block starts anywhere in the spare width: no fixed position for a segmenter to learn.
    x = margin + rng.uniform(0.0, max(0.0, width - 2 * margin - total * squeeze))

    glyphs = []
    rise = rng.choice((1, -1))
    for mask, colour, overlap in zip(masks, colours, overlaps, strict=True):
        advance = mask.width * squeeze
        # Baseline jitter, bounded so the glyph stays inside the image even after the warp.
        slack = max(0.0, (height - mask.height) / 2 - height * _WARP_Y_RANGE[1])
        jitter = min(slack, height * _BASELINE_JITTER)
        cx = x + advance / 2
        # Up and down alternately, like the tilt, so the baseline always zigzags.
        cy = height / 2 + rise * rng.uniform(0.3, 1.0) * jitter
        rise = -rise
        left, top = round(cx - mask.width / 2), round(cy - mask.height / 2)
        box = (left, top, left + mask.width, top + mask.height)
        glyphs.append(_Glyph(mask=mask, box=box, colour=colour, centre=cx))
        x += advance - overlap * squeeze
    return glyphs


def _glyph_mask(
    char: str, em: float, font_path: str, rng: random.Random, *, lean: int
) -> Image.Image:
    """Return an ``L`` mask of one character, resized and rotated, cropped to its ink.

    ``lean`` is 1 to turn the character anticlockwise from upright, -1 clockwise.
    """
    size = max(6, round(em * rng.uniform(1 - _SCALE_JITTER, 1 + _SCALE_JITTER)))
    font = _font(font_path, size)
    # A stroke outline thickens the font's light strokes: at 1x they would be 1-2 px, break up
    # under the warp, and look no bolder than the curves behind them.
    stroke = math.ceil(size / 28)
    left, top, right, bottom = font.getbbox(char, stroke_width=stroke)
    tile = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(tile).text(
        (-left, -top), char, font=font, fill=255, stroke_width=stroke, stroke_fill=255
    )
    if char in _ANGLE_SENSITIVE:
        angle = rng.uniform(*_NARROW_ROTATION_DEGREES)
    else:
        angle = _UPRIGHT_DEGREES + lean * rng.uniform(*_TILT_DEGREES)
    tile = tile.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    bbox = tile.getbbox()
    return tile.crop(bbox) if bbox else tile


def _draw_curve(
    layer: Image.Image,
    bounds: list[float],
    colours: list[tuple[int, int, int]],
    width_share: float,
    band: tuple[float, float],
    rng: random.Random,
) -> None:
    """Draw a sine curve through the text, one stretch per character between ``bounds``.

    A stretch takes the colour of a neighbour of the character it crosses: the same palette and
    lightness, so neither a colour filter nor a grey threshold can drop the curve, yet the change
    of hue lets people see where a glyph ends and the curve begins.
    """
    width, height = layer.size
    stroke = max(2, round(height * width_share))
    radius = stroke / 2
    amplitude = height * rng.uniform(*_CURVE_AMPLITUDE)
    wavelength = width * rng.uniform(*_CURVE_WAVELENGTH)
    phase = rng.uniform(0, math.tau)
    mid = height * rng.uniform(*band)
    slope = rng.uniform(-0.15, 0.15) * height / width
    start = rng.uniform(0.0, 0.25) * width
    end = rng.uniform(0.75, 1.0) * width

    def y_at(x: float) -> float:
        wave = amplitude * math.sin(math.tau * x / wavelength + phase)
        return mid + slope * (x - width / 2) + wave

    # Hues step by the golden ratio, so next-door characters differ the most in hue.
    shift = rng.choice((1, -1)) if len(colours) > 1 else 0
    neighbours = colours[shift:] + colours[:shift]
    draw = ImageDraw.Draw(layer)
    for colour, (left, right) in zip(neighbours, itertools.pairwise(bounds), strict=True):
        left, right = max(left, start), min(right, end)
        if right <= left:
            continue
        # Round dabs close together rather than a polyline: wide polylines come out serrated.
        steps = max(1, math.ceil((right - left) / max(1.0, stroke / 3)))
        for k in range(steps + 1):
            x = left + (right - left) * k / steps
            y = y_at(x)
            draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=(*colour, 255))


def _warp(layer: Image.Image, rng: random.Random) -> Image.Image:
    """Bend the layer along two sine waves, one per axis, with a mesh transform.

    Displacements are computed at shared cell corners, so neighbouring cells stay continuous.
    Pixels pulled from outside the layer come back transparent.
    """
    width, height = layer.size
    dx_amp = height * rng.uniform(0.03, 0.06)
    dy_amp = height * rng.uniform(*_WARP_Y_RANGE)
    dx_wl = height * rng.uniform(0.9, 1.6)
    dy_wl = width * rng.uniform(0.35, 0.6)
    dx_ph = rng.uniform(0, math.tau)
    dy_ph = rng.uniform(0, math.tau)

    def source(x: float, y: float) -> tuple[float, float]:
        return (
            x + dx_amp * math.sin(math.tau * y / dx_wl + dx_ph),
            y + dy_amp * math.sin(math.tau * x / dy_wl + dy_ph),
        )

    xs = [width * i / _MESH_COLUMNS for i in range(_MESH_COLUMNS + 1)]
    ys = [height * j / _MESH_ROWS for j in range(_MESH_ROWS + 1)]
    mesh = []
    for i in range(_MESH_COLUMNS):
        for j in range(_MESH_ROWS):
            x0, x1, y0, y1 = xs[i], xs[i + 1], ys[j], ys[j + 1]
            # Quad corner order is Pillow's: upper left, lower left, lower right, upper right.
            quad = (*source(x0, y0), *source(x0, y1), *source(x1, y1), *source(x1, y0))
            mesh.append(((round(x0), round(y0), round(x1), round(y1)), quad))
    return layer.transform(
        layer.size, Image.Transform.MESH, mesh, resample=Image.Resampling.BILINEAR
    )


def _background(size: tuple[int, int], rng: random.Random) -> Image.Image:
    """A light RGBA background: a soft gradient between four pale corner colours, mottled."""

    def pale() -> tuple[int, int, int]:
        r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.04, 0.16), rng.uniform(0.92, 1))
        return round(r * 255), round(g * 255), round(b * 255)

    corners = Image.new("RGB", (2, 2))
    corners.putdata([pale() for _ in range(4)])
    background = corners.resize(size, Image.Resampling.BILINEAR)
    # Coarse noise, upsampled: a gentle texture that compresses far better than per-pixel noise.
    width, height = size
    coarse = (max(1, width // 8), max(1, height // 8))
    noise = Image.frombytes("L", coarse, rng.randbytes(coarse[0] * coarse[1]))
    mottle = noise.point(lambda value: value * 18 // 255).resize(size, Image.Resampling.BILINEAR)
    return ImageChops.subtract(background, Image.merge("RGB", (mottle,) * 3)).convert("RGBA")


def _draw_dots(image: Image.Image, colours: list[tuple[int, int, int]], rng: random.Random) -> None:
    """Sprinkle a few dots in the ink colours, about 2.5 per square of the image's height."""
    width, height = image.size
    draw = ImageDraw.Draw(image)
    for _ in range(round(2.5 * width / height)):
        radius = height * rng.uniform(0.01, 0.026)
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=rng.choice(colours))
