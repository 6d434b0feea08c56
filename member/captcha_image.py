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

The image is drawn as palette indices from the start, never as RGB: every colour it can hold
(pale background shades, each ink at a few anti-aliasing levels) is known before drawing, so
one-band operations do all the work and the PNG is a small palette image. Rotated glyphs come from
a bounded cache keyed by character, size step and whole degree, which leaves the drawing a handful
of pastes, a dozen polygons and lines for the curves and an affine transform per warp cell;
Pillow's encoder writes the PNG.

Tesseract (``--psm 7``, hex whitelist) read 87% of 500 seed-style plain red captchas exactly and
none of 500 of these (``python -m bench.ocr``, seed 4), with or without a median filter and
threshold first; over 2,500 (seeds 4 to 8) it read 9 and 5, some 0.3% (6 and 6 before the
curves' margin lines and the background's 2x2 cells).
``python -m bench.render`` times the drawing once the glyph cache is warm: about 0.57 ms median,
seeded or as the site calls it, against 0.68 ms, measured alternately, without the per-thread
compressor, margin lines and background cells (0.8 and 0.9 ms before issue 9; the RGB drawing
before those, 7.9 ms), for a PNG of about 3.7 KB (4.0 KB without; 29 KB for the RGB one). A fresh
process's first 200 images, which fill the glyph cache, take a median of about 1.2 ms (1.3 ms
without; 2.4 ms before issue 9).
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
# Each character's size is one of these shares of the em. A few steps keep the glyph cache small
# (with whole-degree angles, the 16 hex characters need under 1,500 entries) yet neighbours still
# differ in size by up to a quarter.
_SIZE_STEPS = (0.88, 1.0, 1.12)
# Rotated glyph masks kept: enough for every hex glyph at every size and angle at the served size
# (about 5 KB each, some 10 MB in all), so after warm-up no image renders a glyph. Other alphabets
# or sizes only make the cache miss more often.
_GLYPH_CACHE_SIZE = 2048
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
# Vertices of a curve per image height: a polyline this fine looks smooth after the warp.
_CURVE_VERTICES_PER_HEIGHT = 8
# Vertical warp amplitude as a share of the image height.
_WARP_Y_RANGE = (0.04, 0.08)
# Grid cells of the warp: each is one affine transform and one paste, a few microseconds each;
# this many make the piecewise-linear bend of the shortest waves look smooth.
_MESH_COLUMNS = 6
_MESH_ROWS = 2
# Palette layout. Indices below _BACKGROUND_SHADES are background; above, each ink gets
# _INK_LEVELS entries, from its faintest anti-aliased edge to full strength. Ink indices are all
# higher than background ones, and 0 in the text layer means "nothing drawn here".
_BACKGROUND_SHADES = 32
# Opacity of each ink level over the background, and the mask value from which a glyph pixel
# takes that level; fainter mask pixels leave whatever lies below.
_INK_LEVELS = ((0.45, 80), (0.75, 160), (1.0, 220))
# Glyph coverage to ink level, and to the paste mask (255 from the faintest level up).
_LEVEL_TABLE = bytes(sum(value >= cut for _, cut in _INK_LEVELS) for value in range(256))
_MASK_TABLE = bytes(255 if value >= _INK_LEVELS[0][1] else 0 for value in range(256))
_MAX_INKS = (256 - _BACKGROUND_SHADES) // len(_INK_LEVELS)
# Side of a background mottle cell, as a share of the image height.
_MOTTLE_CELL = 0.12
# The background's index is a gradient between random corner shades plus mottle up to this many
# shades; the two tables map random bytes onto those ranges.
_MOTTLE_SHADES = 8
_GRADIENT_TABLE = bytes(b % (_BACKGROUND_SHADES - _MOTTLE_SHADES + 1) for b in range(256))
_MOTTLE_TABLE = bytes(b % _MOTTLE_SHADES for b in range(256))
# Side, in display pixels, of the cells the background field is smoothed on (see _background).
_BACKGROUND_CELL = 2
# zlib level of the PNG: the fastest.
_PNG_COMPRESS_LEVEL = 1


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
        # A fast Mersenne Twister seeded per image from the OS's CSPRNG, not SystemRandom: that
        # made each of the image's ~120 random calls an os.urandom system call. These numbers only
        # bend and colour the picture; the answer itself is drawn elsewhere with ``secrets``. They
        # need to be unpredictable, which a 256-bit secret seed gives, and a fresh generator per
        # image exposes no state from one image to the next.
        rng = random.Random(secrets.randbits(256))  # noqa: S311 (reasoned above)
    size = (width * scale, height * scale)

    # Past _MAX_INKS characters the inks repeat; neighbours still differ.
    colours = _ink_colours(min(len(text), _MAX_INKS), rng)
    inks = [i % len(colours) for i in range(len(text))]
    glyphs = _place_glyphs(text, size, font_path, rng)
    # Each character owns the stretch of a curve between the midpoints to its neighbours.
    centres = [centre for *_, centre in glyphs]
    bounds = [0.0, *((a + b) / 2 for a, b in itertools.pairwise(centres)), float(size[0])]

    layer = Image.new("L", size, 0)
    # The curves go behind the glyphs: in colour each glyph stays whole and people see the curve
    # pass behind it; in grey, glyph and curve are one shape.
    _draw_curves(layer, bounds, inks, rng)
    for (levels, mask, box, _), ink in zip(glyphs, inks, strict=True):
        # Level 1 becomes the ink's faintest index, and so on; the mask keeps the rest clear.
        # (levels + levels) / 2 + offset: one operation, without making an image of the offset.
        indices = ImageChops.add(levels, levels, scale=2.0, offset=_ink_index(ink, 0) - 1)
        layer.paste(indices, box, mask)
    layer = _warp(layer, rng)

    background, palette = _background((width, height), scale, colours, rng)
    # Every ink index is above every background index: the lighter of the two is the ink where
    # the layer has any, and the background elsewhere.
    image = ImageChops.lighter(background, layer)
    _draw_dots(image, len(colours), rng)
    image.putpalette(palette)
    return image


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


def _ink_index(ink: int, level: int = len(_INK_LEVELS) - 1) -> int:
    """Palette index of ink number ``ink`` at anti-aliasing ``level`` (default: full strength)."""
    return _BACKGROUND_SHADES + ink * len(_INK_LEVELS) + level


def _place_glyphs(
    text: str, size: tuple[int, int], font_path: str, rng: random.Random
) -> list[tuple[Image.Image, Image.Image, tuple[int, int, int, int], float]]:
    """Pick each character's size, angle and place: (levels, mask, box, centre x) each."""
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
        glyphs.append((levels, mask, (left, top, left + mask.width, top + mask.height), cx))
        x += advance - overlap * squeeze
    return glyphs


@functools.lru_cache(maxsize=_GLYPH_CACHE_SIZE)
def _glyph_levels(
    font_path: str, char: str, size: int, angle: int
) -> tuple[Image.Image, Image.Image]:
    """One character at ``size`` px turned ``angle`` degrees anticlockwise, cropped to its ink.

    Two ``L`` images: the ink levels, 0 where the glyph leaves the pixel alone, then 1 for its
    faintest anti-aliased edge up to ``len(_INK_LEVELS)`` for full ink; and the paste mask, 255
    wherever the level is not 0. Cached: callers must not change them.

    A new process fills this cache as it draws (some 1,500 entries for hex answers), so a miss
    must be cheap: the upright glyph comes from its own small cache, and the levels and mask
    are byte translations rather than ``Image.point``, which rounds its 256-entry table in
    Python on every call. The turn stays bicubic although bilinear costs half as much (49
    against 105 us): Tesseract read 5 of 1,000 captchas with bilinear glyphs, none with these.
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
    # A stroke outline thickens the font's light strokes: at 1x they would be 1-2 px, break up
    # under the warp, and look no bolder than the curves behind them.
    stroke = math.ceil(size / 28)
    left, top, right, bottom = font.getbbox(char, stroke_width=stroke)
    tile = Image.new("L", (max(1, right - left), max(1, bottom - top)), 0)
    ImageDraw.Draw(tile).text(
        (-left, -top), char, font=font, fill=255, stroke_width=stroke, stroke_fill=255
    )
    return tile


def _draw_curves(
    layer: Image.Image, bounds: list[float], inks: list[int], rng: random.Random
) -> None:
    """Draw the two interference curves onto ``layer``: bands in inks, with faint margins."""
    size = layer.size
    # Which curve runs above the middle and which below is random.
    bands = rng.sample(_CURVE_BANDS, len(_CURVE_BANDS))
    curves = [
        (_curve(size, bounds, inks, share, band, rng), share)
        for share, band in zip(_CURVE_WIDTHS, bands, strict=True)
    ]
    draw = ImageDraw.Draw(layer)
    # Faint edges first, so where the curves cross, neither curve's edge cuts the other's body:
    # the filled polygons have hard edges, and a faint margin 1 px wide either side stands in
    # for anti-aliasing. One margin a curve, a wide line along its centre line in its first
    # stretch's ink: at that width and strength the edge's hue does not show, and a margin
    # polygon a stretch cost a call and an outline a stretch. A band filled as a polygon covers
    # about a pixel more than its width across; the line covers its width, so 3 px more.
    for (centre, stretches), share in curves:
        if stretches:
            margin = math.floor(size[1] * share + 0.5) + 3
            draw.line(centre, fill=_ink_index(stretches[0][0], 0), width=margin)
    for (_, stretches), _ in curves:
        for ink, body in stretches:
            draw.polygon(body, fill=_ink_index(ink))


def _curve(
    size: tuple[int, int],
    bounds: list[float],
    inks: list[int],
    width_share: float,
    band: tuple[float, float],
    rng: random.Random,
) -> tuple[list[tuple[float, float]], list[tuple[int, list[tuple[float, float]]]]]:
    """A sine curve through the text: its centre line, and (ink, outline) for each stretch.

    The curve has one stretch per character, between ``bounds``. A stretch takes the ink of a
    neighbour of the character it crosses: the same palette and lightness, so neither a colour
    filter nor a grey threshold can drop the curve, yet the change of hue lets people see where
    a glyph ends and the curve begins.

    The bodies stay outline polygons. Wide lines along the centre line drew the same bands for
    40 us less of some 0.55 ms, but Tesseract read more than twice as many of those captchas
    (27 exact reads against 12 in 2 x 2,500, ``bench.ocr`` seeds 4 to 8; 21 with lines a pixel
    wider): they differ from the polygons by half-pixel edges, yet that much helps OCR.
    """
    width, height = size
    half = max(1.0, height * width_share / 2)
    amplitude = height * rng.uniform(*_CURVE_AMPLITUDE)
    wavelength = width * rng.uniform(*_CURVE_WAVELENGTH)
    phase = rng.uniform(0, math.tau)
    mid = height * rng.uniform(*band)
    slope = rng.uniform(-0.15, 0.15) * height / width
    start = rng.uniform(0.0, 0.25) * width
    end = rng.uniform(0.75, 1.0) * width

    # Hues step by the golden ratio, so next-door characters differ the most in hue.
    shift = rng.choice((1, -1)) if len(inks) > 1 else 0
    neighbours = inks[shift:] + inks[:shift]

    # The vertices of the whole curve, every stretch's ends among them, so each vertex is
    # computed once and each stretch takes a slice: (ink, first vertex, last vertex) each.
    spacing = height / _CURVE_VERTICES_PER_HEIGHT
    xs: list[float] = []
    spans = []
    for ink, (left, right) in zip(neighbours, itertools.pairwise(bounds), strict=True):
        left, right = max(left, start), min(right, end)
        if right <= left:
            continue
        steps = max(1, math.ceil((right - left) / spacing))
        if not xs or xs[-1] != left:
            xs.append(left)
        first = len(xs) - 1
        # The last vertex is exactly the bound, so the next stretch starts from it.
        xs += [left + (right - left) * k / steps for k in range(1, steps)] + [right]
        spans.append((ink, first, len(xs)))

    # Offsets along the normal, so the band keeps its width where the curve is steep and
    # stretches meet along a clean perpendicular cut.
    turn = math.tau / wavelength
    base = mid - slope * width / 2
    swing = amplitude * turn
    sin, cos, hypot = math.sin, math.cos, math.hypot
    centre, upper, lower = [], [], []
    for x in xs:
        angle = turn * x + phase
        y = base + slope * x + amplitude * sin(angle)
        dy = slope + swing * cos(angle)
        ny = 1.0 / hypot(1.0, dy)
        nx = dy * ny * half
        ny *= half
        centre.append((x, y))
        upper.append((x + nx, y - ny))
        lower.append((x - nx, y + ny))
    return centre, [(ink, upper[a:b] + lower[a:b][::-1]) for ink, a, b in spans]


def _warp(layer: Image.Image, rng: random.Random) -> Image.Image:
    """Bend the layer along two sine waves, one per axis, piecewise linearly over a grid.

    Each point moves sideways by a sine of its height and up or down by a sine of its x, both
    interpolated linearly between grid lines. Since the sideways shift depends on y alone and
    the vertical one on x alone, the map is affine inside each cell (a shear each way), and
    cells agree along their shared edges, so the bend stays continuous. Pillow's affine
    transform has a fixed-point fast path that a mesh of quads lacks: an affine transform and a
    paste per cell cost about two thirds of the same mesh. Nearest-neighbour sampling: the layer
    holds palette indices, which must not be blended; the glyphs' anti-aliased edges are levels
    of their own. Pixels pulled from outside come back 0.

    Warping glyphs and curves separately, with no text layer, was measured and does not pay.
    One QUAD transform per glyph tile bends nothing: the sideways shift depends on y alone and
    the vertical one on x alone, so a quad through the field at a tile's four corners is exactly
    affine; and Pillow samples a quad at some 4.4 ns a pixel against 0.6 for an affine map.
    Bending takes two or more pieces per glyph. Shifting the glyphs' bytes instead (a slice per
    run of columns with one whole-pixel shift, the layer transposed, then per run of rows), with
    the curves' vertices moved by the field and drawn onto the background, took as long as these
    cells in-process (0.57 ms either way, alternately, the curves drawn as wide lines in both),
    and under gunicorn the drawing cost 0.41 of django-simple-captcha's CPU per image against
    0.35 (``bench.captcha``); per glyph tile instead of a layer, 0.65 ms. The cells stay.
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
    warped = Image.new("L", layer.size, 0)
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
            )
            warped.paste(cell, (left, top))
    return warped


def _background(
    size: tuple[int, int], scale: int, colours: list[tuple[int, int, int]], rng: random.Random
) -> tuple[Image.Image, list[int]]:
    """A mottled ``L`` image of background indices, ``scale`` times ``size``, and the palette.

    The background shades run through three pale colours, so a smooth field of indices is a
    soft blend of varied pale colours: a gradient across the image, mottled by coarse noise. The
    inks follow, each at every anti-aliasing level blended over the middle shade.

    Drawn afresh for each image, though a window cut from one fixed, larger field would cost
    40 us less: with that, Tesseract read 7 of 1,000 captchas (``bench.ocr``, two seeds), with
    this none. The field matters to OCR more than its mildness suggests.
    """

    def pale() -> bytes:
        r, g, b = colorsys.hsv_to_rgb(rng.random(), rng.uniform(0.04, 0.16), rng.uniform(0.92, 1))
        return bytes((_channel(r), _channel(g), _channel(b)))

    stops = Image.frombytes("RGB", (3, 1), pale() + pale() + pale())
    shades = stops.resize((_BACKGROUND_SHADES, 1), Image.Resampling.BILINEAR).tobytes()
    paper = shades[_BACKGROUND_SHADES // 2 * 3 :][:3]
    palette = list(shades) + [
        round(under + (ink - under) * opacity)
        for colour in colours
        for opacity, _ in _INK_LEVELS
        for ink, under in zip(colour, paper, strict=True)
    ]

    # Coarse noise, upsampled: a gentle texture that compresses far better than per-pixel noise.
    width, height = size
    cell = max(1.0, height * _MOTTLE_CELL)
    coarse = (max(2, round(width / cell)), max(2, round(height / cell)))
    corners = Image.frombytes("L", (2, 2), rng.randbytes(4).translate(_GRADIENT_TABLE))
    mottle = Image.frombytes(
        "L", coarse, rng.randbytes(coarse[0] * coarse[1]).translate(_MOTTLE_TABLE)
    )
    field = ImageChops.add(corners.resize(coarse, Image.Resampling.BILINEAR), mottle)
    # Smoothed on cells of 2x2 display pixels, then each cell repeated over its pixels:
    # neighbouring shades differ by a step too small to see, so the cells are invisible (the
    # mottle is 6 display pixels across), yet the bilinear pass has a sixteenth of the pixels at
    # 2x, and three rows in four repeat the one above, which deflate codes as one match.
    grid = (-(-width // _BACKGROUND_CELL), -(-height // _BACKGROUND_CELL))
    field = field.resize(grid, Image.Resampling.BILINEAR)
    return field.resize((width * scale, height * scale), Image.Resampling.NEAREST), palette


def _draw_dots(image: Image.Image, inks: int, rng: random.Random) -> None:
    """Sprinkle a few dots in the ink colours, about 2.5 per square of the image's height."""
    width, height = image.size
    draw = ImageDraw.Draw(image)
    for _ in range(round(2.5 * width / height)):
        radius = height * rng.uniform(0.01, 0.026)
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        draw.ellipse(
            (x - radius, y - radius, x + radius, y + radius), fill=_ink_index(rng.randrange(inks))
        )
