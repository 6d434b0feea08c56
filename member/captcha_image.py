"""Draw a captcha answer as a PNG that people read and off-the-shelf OCR misreads.

A pure drawing module: no Django, no request, no session. The caller decides the answer and where
the font lives; this module only turns text into an image and its PNG bytes. All randomness comes
from the ``rng`` argument, so a seeded ``random.Random`` gives the same picture back.

Each distortion breaks one step of an OCR pipeline (docs/decisions/0001-captcha-image.md has the
measurements and the alternatives tried):

- per-character rotation, size and baseline offset, neighbours tilting and stepping opposite
  ways and overlapping a little: no common baseline or pitch for segmentation to lock onto;
- two interference curves across the text, as wide and as dark as the glyphs' strokes: a grey
  threshold keeps them, and a filter that removes them (median, morphological opening) removes
  the glyphs too;
- colour by place, not by character: the ink's hue drifts smoothly across the picture through
  glyphs and curves alike, so no colour isolates a glyph, and a curve takes the hue opposite to
  the glyph's where they meet, so people see it pass behind;
- a smooth warp of the whole text layer: straight strokes become gently curved;
- ink dots about as wide as a stroke, which an opening keeps, on a soft mottled background in
  pale colours.

The image is palette indices from the start, never RGB: every colour it can hold is known before
drawing, so one-band operations do all the work, and Pillow's encoder writes a palette PNG.
"""

from __future__ import annotations

import colorsys
import functools
import io
import itertools
import math
import random
import secrets

from PIL import Image, ImageChops, ImageDraw, ImageFont

__all__ = ["encode_png", "render_image", "render_png"]

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
# Each character's size is one of these shares of the em: a few steps keep the glyph cache small,
# yet neighbours still differ in size by up to a quarter.
_SIZE_STEPS = (0.88, 1.0, 1.12)
# Rotated glyphs kept: every hex glyph at every size step and whole degree at the served size, so a
# warm process never renders a glyph. Other alphabets or sizes only make the cache miss more.
_GLYPH_CACHE_SIZE = 2048
# A stroke outline of this share of the font size thickens the font's light strokes, which would
# break up under the warp at 1x, to about the curves' width.
_GLYPH_OUTLINE = 1 / 56
# Largest vertical offset of a character's centre, as a share of the image height.
_BASELINE_JITTER = 0.1
# Interference curve widths as shares of the image height: about a glyph's stroke, so that no
# filter tells them apart by width.
_CURVE_WIDTHS = (0.09, 0.075)
# Where a curve's centre line runs, as shares of the image height from the top: one just above
# the middle and one just below, so they cross the glyphs at different heights, yet both keep to
# the middle, where most of these glyphs have a bar or a crossing anyway. Curves running along a
# glyph's foot made an E of an F.
_CURVE_BANDS = ((0.38, 0.46), (0.54, 0.62))
# Width in pixels of the faint rim along either side of a curve.
_CURVE_MARGIN = 1.5
# How far a curve runs on past the text at either end, as a share of the image width.
_CURVE_OVERHANG = (0.02, 0.2)
# Half the peak-to-peak swing of a curve, as a share of the image height.
_CURVE_AMPLITUDE = (0.05, 0.12)
# Length of one wave, as a share of the image width.
_CURVE_WAVELENGTH = (0.5, 1.1)
# Vertices of a curve per image height: a polyline this fine looks smooth after the warp.
_CURVE_VERTICES_PER_HEIGHT = 8
# Vertical warp amplitude as a share of the image height.
_WARP_Y_RANGE = (0.04, 0.08)
# Grid cells of the warp, each one affine transform and one paste: this many make the
# piecewise-linear bend of the shortest waves look smooth.
_MESH_COLUMNS = 6
_MESH_ROWS = 2

# Ink: _HUES dark colours of one lightness, evenly round the colour wheel, each at the opacities of
# _INK_LEVELS over the paper (the faintest anti-aliased edge first). A glyph pixel takes a level
# from its coverage (the second number); fainter coverage leaves whatever lies below.
_HUES = 24
_INK_LEVELS = ((0.45, 80), (0.75, 160), (1.0, 220))
_LEVELS = len(_INK_LEVELS)
# Saturation and lightness (luma) of the ink, one step of each per image.
_INK_SATURATIONS = (0.8, 0.9)
_INK_LUMAS = (0.3, 0.34)
# The grey the ink's anti-aliased levels are blended over.
_PAPER = 244
# Palette layout. The text layer holds a code per pixel: 1.._LEVELS for a glyph's levels,
# _OPPOSITE + 1.. for a curve's, _NO_INK where nothing is drawn. Adding the hue field (_LEVELS
# times the hue number at that place) turns a code into its palette index: the ink entries run
# round the wheel one and a half times, so a curve's index lands half the wheel away from the
# hue a glyph there would take. The background's shades come after the inks.
_OPPOSITE = _LEVELS * _HUES // 2
_INK_ENTRIES = _LEVELS * _HUES + _OPPOSITE
_BACKGROUND_BASE = 1 + _INK_ENTRIES
_BACKGROUND_SHADES = 32
_NO_INK = 255
# Glyph coverage to ink level, and to the paste mask (255 from the faintest level up).
_LEVEL_TABLE = bytes(sum(value >= cut for _, cut in _INK_LEVELS) for value in range(256))
_MASK_TABLE = bytes(255 if value >= _INK_LEVELS[0][1] else 0 for value in range(256))
# Side of a cell of the hue field's noise, as a share of the image height: the hue turns about
# once or twice across a glyph.
_HUE_CELL = 0.5
# Smooth noise (0..255) to _LEVELS times a hue number, once round the wheel.
_HUE_TABLE = bytes(_LEVELS * (value * _HUES // 256) for value in range(256))
# Side of a background mottle cell, as a share of the image height.
_MOTTLE_CELL = 0.12
# The background's shade is a gradient between random corner shades plus mottle up to this many
# shades; the two tables map random bytes onto those ranges.
_MOTTLE_SHADES = 8
_GRADIENT_TABLE = bytes(b % (_BACKGROUND_SHADES - _MOTTLE_SHADES + 1) for b in range(256))
_MOTTLE_TABLE = bytes(b % _MOTTLE_SHADES for b in range(256))
# Side, in display pixels, of the cells the background and hue fields are smoothed on: too small
# to see, and rows that repeat compress well.
_FIELD_CELL = 2
# zlib level of the PNG: the fastest.
_PNG_COMPRESS_LEVEL = 1


def render_png(
    text: str,
    *,
    width: int,
    height: int,
    font_path: str,
    scale: int = 2,
    rng: random.Random | None = None,
) -> bytes:
    """Return PNG bytes showing ``text`` distorted against OCR: ``render_image``, encoded.

    The PNG is exactly ``width * scale`` by ``height * scale`` pixels, meant to be shown at
    ``width`` x ``height`` CSS pixels so high-density screens get a crisp image. Equal seeds give
    equal bytes. Raises ``ValueError`` as ``render_image`` does.
    """
    return encode_png(
        render_image(text, width=width, height=height, font_path=font_path, scale=scale, rng=rng)
    )


def encode_png(image: Image.Image) -> bytes:
    """``image`` as PNG bytes, written by Pillow's encoder at zlib's fastest level."""
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False, compress_level=_PNG_COMPRESS_LEVEL)
    return out.getvalue()


def render_image(
    text: str,
    *,
    width: int,
    height: int,
    font_path: str,
    scale: int = 2,
    rng: random.Random | None = None,
) -> Image.Image:
    """Return a palette (``P``) image showing ``text`` distorted against OCR.

    The image is exactly ``width * scale`` by ``height * scale`` pixels. ``text`` is 1 or more
    characters (designed for 1..12 alphanumerics; the font shrinks so they fit the width).
    ``font_path`` is any font file Pillow's FreeType loader reads. Randomness comes only from
    ``rng`` (default: a generator seeded from ``secrets`` for this image alone), so equal seeds
    give equal pixels and palette, whatever the glyph cache holds.

    Raises ``ValueError`` for empty text or a non-positive size or scale.
    """
    if not text:
        raise ValueError("captcha text must not be empty")
    if width < 1 or height < 1 or scale < 1:
        raise ValueError("width, height and scale must be positive")
    if rng is None:
        # Not SystemRandom, which makes every random call a system call: a Mersenne Twister
        # seeded per image with 256 secret bits is unpredictable and shares no state between
        # images. These numbers only bend and colour the picture; the answer comes from secrets.
        rng = random.Random(secrets.randbits(256))  # noqa: S311 (reasoned above)
    size = (width * scale, height * scale)

    glyphs = _place_glyphs(text, size, font_path, rng)
    layer = Image.new("L", size, _NO_INK)
    # Curves first, so every glyph stays whole on top where they cross.
    _draw_curves(layer, (glyphs[0][2][0], glyphs[-1][2][2]), rng)
    for levels, mask, box in glyphs:
        layer.paste(levels, box, mask)
    layer = _warp(layer, rng)
    # Codes plus the hue field are ink indices; _NO_INK saturates at 255, above every index, so
    # the darker (lower) of the two is the ink where there is some and the background elsewhere.
    inks = ImageChops.add(layer, _hue_field((width, height), scale, rng))
    background, palette = _background((width, height), scale, rng)
    image = ImageChops.darker(background, inks)
    _draw_dots(image, rng)
    image.putpalette(palette)
    return image


@functools.lru_cache(maxsize=64)
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    """Load ``path`` at ``size`` px once; every image asks for the same handful of sizes."""
    return ImageFont.truetype(path, size)


def _place_glyphs(
    text: str, size: tuple[int, int], font_path: str, rng: random.Random
) -> list[tuple[Image.Image, Image.Image, tuple[int, int, int, int]]]:
    """Pick each character's size, angle and place: (levels, mask, box) each, left to right."""
    width, height = size
    margin = width * 0.04
    em = min(height * _FONT_EM_PER_HEIGHT, (width - 2 * margin) / (len(text) * _ADVANCE_PER_EM))
    lean = rng.choice((1, -1))
    masks = []
    for i, char in enumerate(text):
        glyph_size = max(6, round(em * rng.choice(_SIZE_STEPS)))
        if char in _ANGLE_SENSITIVE:
            angle = rng.uniform(*_NARROW_ROTATION_DEGREES)
        else:
            angle = _UPRIGHT_DEGREES + lean * (-1) ** i * rng.uniform(*_TILT_DEGREES)
        masks.append(_glyph_levels(font_path, char, glyph_size, round(angle)))

    # Neighbours overlap by a share of the narrower one, so a slim 1 is never swallowed whole.
    widths = [mask.width for _, mask in masks]
    overlaps = [_OVERLAP * min(a, b) for a, b in itertools.pairwise(widths)] + [0.0]
    total = sum(widths) - sum(overlaps)
    # Squeeze rather than clip when the rotated glyphs came out wider than the estimate.
    squeeze = min(1.0, (width - 2 * margin) / total)
    # The block starts anywhere in the spare width: no fixed position for a segmenter to learn.
    x = margin + rng.uniform(0.0, max(0.0, width - 2 * margin - total * squeeze))

    glyphs = []
    rise = rng.choice((1, -1))
    for (levels, mask), overlap in zip(masks, overlaps, strict=True):
        advance = mask.width * squeeze
        # Baseline jitter, bounded so the glyph stays inside the image even after the warp.
        slack = max(0.0, (height - mask.height) / 2 - height * _WARP_Y_RANGE[1])
        jitter = min(slack, height * _BASELINE_JITTER)
        cx = x + advance / 2
        # Up and down alternately, like the tilt, so the baseline always zigzags.
        cy = height / 2 + rise * rng.uniform(0.3, 1.0) * jitter
        rise = -rise
        left, top = round(cx - mask.width / 2), round(cy - mask.height / 2)
        glyphs.append((levels, mask, (left, top, left + mask.width, top + mask.height)))
        x += advance - overlap * squeeze
    return glyphs


@functools.lru_cache(maxsize=_GLYPH_CACHE_SIZE)
def _glyph_levels(
    font_path: str, char: str, size: int, angle: int
) -> tuple[Image.Image, Image.Image]:
    """One character at ``size`` px turned ``angle`` degrees anticlockwise, cropped to its ink.

    Two ``L`` images: the ink levels, 0 where the glyph leaves the pixel alone, then 1 for its
    faintest anti-aliased edge up to ``_LEVELS`` for full ink; and the paste mask, 255 wherever
    the level is not 0. Cached: callers must not change them. A miss starts from the cached
    upright glyph and translates bytes rather than calling ``Image.point``, so a new process
    fills the cache cheaply; the turn is bicubic, since bilinear glyphs helped OCR.
    """
    tile = _upright_glyph(font_path, char, size)
    tile = tile.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True)
    bbox = tile.getbbox()
    tile = tile.crop(bbox) if bbox else tile
    data = tile.tobytes()
    return (
        Image.frombytes("L", tile.size, data.translate(_LEVEL_TABLE)),
        Image.frombytes("L", tile.size, data.translate(_MASK_TABLE)),
    )


@functools.lru_cache(maxsize=256)
def _upright_glyph(font_path: str, char: str, size: int) -> Image.Image:
    """One character at ``size`` px, upright, as an ``L`` coverage image; cached, read-only."""
    font = _font(font_path, size)
    stroke = math.ceil(size * _GLYPH_OUTLINE)
    left, top, right, bottom = font.getbbox(char, stroke_width=stroke)
    tile = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(tile).text(
        (-left, -top), char, font=font, fill=255, stroke_width=stroke, stroke_fill=255
    )
    return tile


def _draw_curves(layer: Image.Image, text: tuple[float, float], rng: random.Random) -> None:
    """Draw the two interference curves onto ``layer`` in curve codes, with faint margins,
    each across the whole of the ``text`` span (left, right) and a little beyond."""
    size = layer.size
    # Which curve runs above the middle and which below is random.
    bands = rng.sample(_CURVE_BANDS, len(_CURVE_BANDS))
    curves = [
        _curve(size, text, share, band, rng)
        for share, band in zip(_CURVE_WIDTHS, bands, strict=True)
    ]
    draw = ImageDraw.Draw(layer)
    # Faint margins first, so where the curves cross neither margin cuts the other's body: the
    # polygons have hard edges, and a faint rim stands in for anti-aliasing.
    for _, margin in curves:
        draw.polygon(margin, fill=_OPPOSITE + 1)
    for body, _ in curves:
        draw.polygon(body, fill=_OPPOSITE + _LEVELS)


def _curve(
    size: tuple[int, int],
    text: tuple[float, float],
    width_share: float,
    band: tuple[float, float],
    rng: random.Random,
) -> tuple[list[tuple[float, float]], list[tuple[float, float]]]:
    """A sine band across the ``text`` span and beyond: the outline polygons of its body and
    of its margin, ``_CURVE_MARGIN`` px wider on either side, round the same centre line.

    The body is ``width_share`` of the image height wide, measured along the normal so it keeps
    its width where the curve is steep; its centre line wanders about ``band``. The body is a
    polygon rather than a wide line, whose edges helped OCR.
    """
    width, height = size
    half = max(1.0, height * width_share / 2)
    amplitude = height * rng.uniform(*_CURVE_AMPLITUDE)
    wavelength = width * rng.uniform(*_CURVE_WAVELENGTH)
    phase = rng.uniform(0, math.tau)
    mid = height * rng.uniform(*band)
    slope = rng.uniform(-0.15, 0.15) * height / width
    # Past the text by a random amount, so neither end marks where the text starts or stops.
    start = max(0.0, text[0] - rng.uniform(*_CURVE_OVERHANG) * width)
    end = min(float(width), text[1] + rng.uniform(*_CURVE_OVERHANG) * width)

    steps = max(1, math.ceil((end - start) * _CURVE_VERTICES_PER_HEIGHT / height))
    turn = math.tau / wavelength
    base = mid - slope * width / 2
    swing = amplitude * turn
    wide = (half + _CURVE_MARGIN) / half
    sin, cos, hypot = math.sin, math.cos, math.hypot
    upper, lower, outer_upper, outer_lower = [], [], [], []
    for k in range(steps + 1):
        x = start + (end - start) * k / steps
        angle = turn * x + phase
        y = base + slope * x + amplitude * sin(angle)
        dy = slope + swing * cos(angle)
        ny = 1.0 / hypot(1.0, dy)
        nx = dy * ny * half
        ny *= half
        upper.append((x + nx, y - ny))
        lower.append((x - nx, y + ny))
        outer_upper.append((x + nx * wide, y - ny * wide))
        outer_lower.append((x - nx * wide, y + ny * wide))
    return upper + lower[::-1], outer_upper + outer_lower[::-1]


def _warp(layer: Image.Image, rng: random.Random) -> Image.Image:
    """Bend the layer along two sine waves, one per axis, piecewise linearly over a grid.

    Each point moves sideways by a sine of its height and up or down by a sine of its x, both
    interpolated linearly between grid lines. Since the sideways shift depends on y alone and
    the vertical one on x alone, the map is affine inside each cell (a shear each way), and
    cells agree along their shared edges, so the bend stays continuous. Sampling is
    nearest-neighbour, since the layer holds codes that must not be blended. Pixels pulled from
    outside come back ``_NO_INK``.
    """
    width, height = layer.size
    dx_amp = height * rng.uniform(0.03, 0.06)
    dy_amp = height * rng.uniform(*_WARP_Y_RANGE)
    dx_wl = height * rng.uniform(0.9, 1.6)
    dy_wl = width * rng.uniform(0.35, 0.6)
    dx_ph = rng.uniform(0, math.tau)
    dy_ph = rng.uniform(0, math.tau)

    xs = [round(width * i / _MESH_COLUMNS) for i in range(_MESH_COLUMNS + 1)]
    ys = [round(height * j / _MESH_ROWS) for j in range(_MESH_ROWS + 1)]
    # Where each grid line samples from: sideways shift per row line, vertical per column line.
    shift_x = [dx_amp * math.sin(math.tau * y / dx_wl + dx_ph) for y in ys]
    shift_y = [dy_amp * math.sin(math.tau * x / dy_wl + dy_ph) for x in xs]
    warped = Image.new("L", layer.size, _NO_INK)
    for left, right, up, down in zip(xs, xs[1:], shift_y, shift_y[1:], strict=False):
        if right == left:
            continue
        tilt = (down - up) / (right - left)
        for top, bottom, before, after in zip(ys, ys[1:], shift_x, shift_x[1:], strict=False):
            if bottom == top:
                continue
            shear = (after - before) / (bottom - top)
            # Output pixel (u, v) of the cell samples the layer at
            # (left + u + before + shear * v, top + v + up + tilt * u).
            cell = layer.transform(
                (right - left, bottom - top),
                Image.Transform.AFFINE,
                (1.0, shear, left + before, tilt, 1.0, top + up),
                Image.Resampling.NEAREST,
                fillcolor=_NO_INK,
            )
            warped.paste(cell, (left, top))
    return warped


def _smooth_field(
    size: tuple[int, int], scale: int, cell: float, table: bytes, rng: random.Random
) -> Image.Image:
    """Random bytes on a grid of ``cell`` px, smoothed, mapped through ``table``, at ``scale``.

    Smoothed on cells of ``_FIELD_CELL`` display pixels and then repeated over their pixels.
    """
    width, height = size
    coarse = (max(2, round(width / cell) + 1), max(2, round(height / cell) + 1))
    noise = Image.frombytes("L", coarse, rng.randbytes(coarse[0] * coarse[1]))
    grid = (-(-width // _FIELD_CELL), -(-height // _FIELD_CELL))
    field = noise.resize(grid, Image.Resampling.BILINEAR).tobytes().translate(table)
    return Image.frombytes("L", grid, field).resize(
        (width * scale, height * scale), Image.Resampling.NEAREST
    )


def _hue_field(size: tuple[int, int], scale: int, rng: random.Random) -> Image.Image:
    """Per pixel, ``_LEVELS`` times the number of the hue that ink takes there."""
    return _smooth_field(size, scale, max(1.0, size[1] * _HUE_CELL), _HUE_TABLE, rng)


def _background(
    size: tuple[int, int], scale: int, rng: random.Random
) -> tuple[Image.Image, list[int]]:
    """A mottled ``L`` image of background indices, ``scale`` times ``size``, and the palette.

    The background's shades run through three pale colours, so a smooth field of indices is a
    soft blend of varied pale colours: a gradient across the image, mottled by coarse noise.
    Drawn afresh for each image: a window cut from one fixed field helped OCR.
    """

    def pale() -> bytes:
        r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.04, 0.16), rng.uniform(0.92, 1))
        return bytes((_channel(r), _channel(g), _channel(b)))

    stops = Image.frombytes("RGB", (3, 1), pale() + pale() + pale())
    shades = stops.resize((_BACKGROUND_SHADES, 1), Image.Resampling.BILINEAR)
    wheel = _ink_wheel(rng.choice(_INK_SATURATIONS), rng.choice(_INK_LUMAS))
    # Start anywhere round the wheel; one and a half turns of it from there.
    start = 3 * _LEVELS * rng.randrange(_HUES)
    inks = wheel[start : start + 3 * _INK_ENTRIES]

    width, height = size
    corners = Image.frombytes("L", (2, 2), rng.randbytes(4).translate(_GRADIENT_TABLE))
    cell = max(1.0, height * _MOTTLE_CELL)
    coarse = (max(2, round(width / cell)), max(2, round(height / cell)))
    mottle = Image.frombytes(
        "L", coarse, rng.randbytes(coarse[0] * coarse[1]).translate(_MOTTLE_TABLE)
    )
    field = ImageChops.add(
        corners.resize(coarse, Image.Resampling.BILINEAR), mottle, offset=_BACKGROUND_BASE
    )
    grid = (-(-width // _FIELD_CELL), -(-height // _FIELD_CELL))
    field = field.resize(grid, Image.Resampling.BILINEAR)
    background = field.resize((width * scale, height * scale), Image.Resampling.NEAREST)
    return background, list(bytes(3) + inks + shades.tobytes())


@functools.lru_cache(maxsize=len(_INK_SATURATIONS) * len(_INK_LUMAS))
def _ink_wheel(saturation: float, luma: float) -> bytes:
    """The ink palette entries for one saturation and luma, three times round the wheel.

    ``_HUES`` dark colours of one luma, evenly round the colour wheel, each at every level
    (faintest first) over a pale grey: the backgrounds are all so pale that their own shade
    under an edge would make no visible difference.
    """
    colours = bytearray()
    for hue in range(_HUES):
        rgb = colorsys.hsv_to_rgb(hue / _HUES, saturation, 1.0)
        # Equal HSV values look very unequal (yellows far lighter than blues): scaling to one
        # luma keeps every hue equally dark, so a change of hue draws no edge inside a glyph.
        dim = luma / (0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2])
        rgb = [c * dim for c in rgb]
        # A blue too deep to reach the luma within 0..1 gives up some saturation instead: a
        # blend towards the grey of that luma keeps the luma.
        keep = min([1.0] + [(1 - luma) / (c - luma) for c in rgb if c > 1])
        rgb = [luma + (c - luma) * keep for c in rgb]
        for opacity, _ in _INK_LEVELS:
            colours += bytes(round(_PAPER + (255 * c - _PAPER) * opacity) for c in rgb)
    return bytes(colours * 3)


def _channel(value: float) -> int:
    """A 0..1 colour component as a 0..255 byte."""
    return min(255, round(value * 255))


def _draw_dots(image: Image.Image, rng: random.Random) -> None:
    """Sprinkle a few ink dots of random hues, about 2.5 per square of the image's height,
    up to about a glyph stroke across."""
    width, height = image.size
    draw = ImageDraw.Draw(image)
    for _ in range(round(2.5 * width / height)):
        radius = height * rng.uniform(0.02, 0.045)
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        fill = _LEVELS * rng.randrange(_HUES) + _LEVELS
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill)
