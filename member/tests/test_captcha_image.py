"""The captcha drawing module: PNG bytes of the right size, seeded, inked, colourful and small.

The module is pure (no Django, no database), so these tests call it directly.
"""

from __future__ import annotations

import colorsys
import io
import itertools
import math
import random
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageFilter

from member import captcha_image
from member.captcha_image import render_png

FONT = str(Path(__file__).resolve().parents[2] / "static" / "fonts" / "Kavivanar-Regular.woff")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def render(text: str = "A3F7C", *, seed: int | None = 1, **kwargs: int) -> bytes:
    size = {"width": 150, "height": 50, **kwargs}
    rng = random.Random(seed) if seed is not None else None
    return render_png(text, font_path=FONT, rng=rng, **size)


def image_of(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGB")


def dark_pixels(image: Image.Image) -> list[tuple[int, int, int]]:
    """Pixels clearly darker than the pale background: ink of glyphs, curves and dots."""
    data = image.tobytes()
    pixels = zip(data[0::3], data[1::3], data[2::3], strict=True)
    return [p for p in pixels if 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2] < 128]


@pytest.mark.parametrize(("scale", "expected"), [(1, (150, 50)), (2, (300, 100))])
def test_png_of_exact_pixel_size_for_scale(scale: int, expected: tuple[int, int]) -> None:
    png = render(scale=scale)

    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == expected


def test_png_is_a_small_palette_image() -> None:
    pngs = [render(seed=seed) for seed in range(20)]

    assert {Image.open(io.BytesIO(png)).mode for png in pngs} == {"P"}
    assert max(len(png) for png in pngs) <= 10 * 1024


def test_png_decodes_completely() -> None:
    image = Image.open(io.BytesIO(render()))

    image.verify()  # chunk CRCs and structure


def test_png_holds_exactly_the_image_drawn() -> None:
    drawn = captcha_image.render_image(
        "A3F7C", width=150, height=50, font_path=FONT, rng=random.Random(7)
    )
    decoded = Image.open(io.BytesIO(render(seed=7)))
    decoded.load()

    assert decoded.mode == drawn.mode == "P"
    assert decoded.tobytes() == drawn.tobytes()
    assert decoded.getpalette() == drawn.getpalette()


def test_default_scale_is_two() -> None:
    assert image_of(render()).size == (300, 100)


def test_same_seed_gives_same_bytes() -> None:
    assert render(seed=42) == render(seed=42)


def test_same_seed_gives_same_bytes_with_a_cold_or_warm_glyph_cache() -> None:
    captcha_image._glyph_levels.cache_clear()
    cold = render(seed=42)
    for seed in range(30):
        render(seed=seed)

    assert render(seed=42) == cold
    assert captcha_image._glyph_levels.cache_info().hits > 0


def test_glyph_cache_is_bounded_and_stays_small_for_hex_answers() -> None:
    captcha_image._glyph_levels.cache_clear()
    for seed in range(200):
        answer = "".join(random.Random(seed).sample("0123456789ABCDEF", 5))
        render(answer, seed=seed)
    info = captcha_image._glyph_levels.cache_info()

    assert info.maxsize is not None
    # Whole-degree angles and a few size steps: many images share their glyphs, yet a
    # thousand glyphs drawn come in hundreds of shapes.
    assert 200 < info.currsize < info.maxsize
    assert info.hits > 0.2 * (info.hits + info.misses)


def test_different_seeds_give_different_images() -> None:
    assert render(seed=1) != render(seed=2)


def test_different_answers_give_different_images() -> None:
    assert render("A3F7C", seed=1) != render("A3F7D", seed=1)


def test_without_rng_every_image_differs() -> None:
    assert render(seed=None) != render(seed=None)


@pytest.mark.parametrize("text", ["7", "ABCDEF012345", "WWWWWWWWWWWW", "mixedCase09"])
def test_any_length_up_to_twelve_fits(text: str) -> None:
    image = image_of(render(text))

    assert image.size == (300, 100)
    assert len(dark_pixels(image)) > 0.03 * image.width * image.height


def test_image_is_not_blank() -> None:
    image = image_of(render())

    # Five bold glyphs and two curves cover well over a tenth of the image.
    assert len(dark_pixels(image)) > 0.08 * image.width * image.height


def test_background_is_light() -> None:
    image = image_of(render())

    assert len(dark_pixels(image)) < 0.5 * image.width * image.height
    corners = [image.getpixel((x, y)) for x in (0, image.width - 1) for y in (0, image.height - 1)]
    assert sum(1 for p in corners if min(p) > 170) >= 3  # a curve or dot may touch one corner


@pytest.mark.parametrize("scale", [1, 2, 3])
def test_background_is_smooth_cells_of_two_display_pixels(scale: int) -> None:
    field, palette = captcha_image._background((150, 50), scale, random.Random(scale))
    side = 2 * scale
    rows = [field.tobytes()[y * field.width : (y + 1) * field.width] for y in range(field.height)]

    assert field.size == (150 * scale, 50 * scale)
    # Each cell is one shade: rows repeat within a cell, and so do pixels along a row...
    assert all(rows[y] == rows[y - y % side] for y in range(field.height))
    assert all(len(set(row[x : x + side])) == 1 for row in rows for x in range(0, len(row), side))
    # ...and the cells take many shades, all of them background ones, above every ink index.
    shades = set(field.tobytes())
    assert len(shades) > 8
    base = captcha_image._BACKGROUND_BASE
    assert base <= min(shades) and max(shades) < base + captcha_image._BACKGROUND_SHADES
    assert len(palette) == 3 * (base + captcha_image._BACKGROUND_SHADES)


def full_inks(palette: list[int]) -> list[tuple[float, float, float]]:
    """Each hue's full-strength ink, for a glyph and for a curve where the hue field holds it."""
    levels = captcha_image._LEVELS
    glyph = [palette[3 * (levels * h + levels) :][:3] for h in range(captcha_image._HUES)]
    curve = [
        palette[3 * (levels * h + captcha_image._OPPOSITE + levels) :][:3]
        for h in range(captcha_image._HUES)
    ]
    return [tuple(c / 255 for c in colour) for colour in glyph + curve]  # type: ignore[misc]


@pytest.mark.parametrize("seed", range(6))
def test_inks_are_equally_dark_hues_and_a_curve_takes_the_opposite_one(seed: int) -> None:
    image = captcha_image.render_image(
        "A3F7C", width=150, height=50, font_path=FONT, rng=random.Random(seed)
    )
    inks = full_inks(image.getpalette() or [])
    hues = captcha_image._HUES
    glyphs, curves = inks[:hues], inks[hues:]

    # One lightness, dark against the pale background: a change of hue draws no edge, and no
    # threshold parts curves from glyphs.
    lumas = [0.299 * r + 0.587 * g + 0.114 * b for r, g, b in inks]
    assert max(lumas) - min(lumas) < 0.02
    assert max(lumas) < 0.4
    # Round the wheel: neighbouring hue numbers are neighbouring hues, one step apart...
    steps = [
        (colorsys.rgb_to_hsv(*b)[0] - colorsys.rgb_to_hsv(*a)[0]) % 1.0
        for a, b in itertools.pairwise(glyphs)
    ]
    assert all(abs(step - 1 / hues) < 0.5 / hues for step in steps)
    # ...and where the hue field puts a glyph's hue, a curve takes the opposite one.
    for glyph, curve in zip(glyphs, curves, strict=True):
        glyph_hue = colorsys.rgb_to_hsv(*glyph)[0]
        curve_hue = colorsys.rgb_to_hsv(*curve)[0]
        assert abs((curve_hue - glyph_hue) % 1.0 - 0.5) < 1.5 / hues


@pytest.mark.parametrize("seed", range(5))
def test_hue_field_turns_smoothly_and_within_every_glyph_sized_patch(seed: int) -> None:
    field = captcha_image._hue_field((150, 50), 2, random.Random(seed))
    data, width = field.tobytes(), field.width
    levels, hues = captcha_image._LEVELS, captcha_image._HUES

    assert field.size == (300, 100)
    assert {value % levels for value in data} == {0}
    assert max(data) < levels * hues
    # Smooth: side by side or one above the other, hues differ by at most 3 of 24 steps.
    numbers = [value // levels for value in data]
    rows = [numbers[y * width : (y + 1) * width] for y in range(field.height)]
    across = [pair for row in rows for pair in itertools.pairwise(row)]
    down = [pair for y in range(1, len(rows)) for pair in zip(rows[y - 1], rows[y], strict=True)]
    assert all(min((a - b) % hues, (b - a) % hues) <= 3 for a, b in across + down)
    # No colour isolates a glyph: a patch smaller than a glyph (25 x 50 px of the middle rows,
    # at 2x) almost always spans a quarter of the wheel or more.
    patches = [
        {numbers[y * width + x] for y in range(25, 75) for x in range(left, left + 25)}
        for left in range(0, 275, 25)
    ]
    assert sum(len(patch) >= hues // 4 for patch in patches) >= 0.9 * len(patches)


def test_ink_uses_several_colours() -> None:
    image = image_of(render())
    hue_bins: dict[int, int] = {}
    for r, g, b in dark_pixels(image):
        hue, saturation, _ = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
        if saturation > 0.3:
            bin_ = int(hue * 12) % 12
            hue_bins[bin_] = hue_bins.get(bin_, 0) + 1
    total = sum(hue_bins.values())

    assert len([n for n in hue_bins.values() if n > 0.05 * total]) >= 3


@settings(max_examples=30, deadline=None)
@given(
    text=st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=12),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_any_alphanumeric_text_renders(text: str, seed: int) -> None:
    image = image_of(render(text, seed=seed))

    assert image.size == (300, 100)
    assert dark_pixels(image)


@pytest.mark.parametrize(
    ("text", "size"),
    [("", {}), ("ABC", {"width": 0}), ("ABC", {"height": -1}), ("ABC", {"scale": 0})],
)
def test_rejects_empty_text_and_non_positive_sizes(text: str, size: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        render(text, **size)


def test_without_rng_the_only_randomness_is_a_fresh_secret_seed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn: list[int] = []

    def randbits(bits: int) -> int:
        drawn.append(bits)
        return 12345

    monkeypatch.setattr(captcha_image.secrets, "randbits", randbits)
    monkeypatch.setattr(random, "SystemRandom", None)  # no per-call system randomness either

    # One seed per image, of at least 128 bits, and nothing else random: a fixed seed gives
    # fixed bytes, the same as passing a generator seeded with it.
    assert render(seed=None) == render(seed=None) == render(seed=12345)
    assert len(drawn) == 2
    assert min(drawn) >= 128


def line_centres(image: Image.Image, *, vertical: bool) -> list[float]:
    """Per row (vertical line) or column (horizontal line): the mean position of its ink."""
    image = image if vertical else image.transpose(Image.Transpose.TRANSPOSE)
    data, width = image.tobytes(), image.width
    centres = []
    for y in range(image.height):
        row = data[y * width : (y + 1) * width]
        inked = [x for x, value in enumerate(row) if value != captcha_image._NO_INK]
        if inked:
            centres.append(sum(inked) / len(inked))
    return centres


@pytest.mark.parametrize("vertical", [True, False])
def test_warp_bends_straight_strokes_smoothly(vertical: bool) -> None:
    layer = Image.new("L", (300, 100), captcha_image._NO_INK)
    layer.paste(3, (148, 0, 152, 100) if vertical else (0, 48, 300, 52))
    curved = 0
    for seed in range(10):
        centres = line_centres(captcha_image._warp(layer, random.Random(seed)), vertical=vertical)

        # Continuous: the stroke is never cut, and it never jumps by more than a pixel or two.
        assert len(centres) >= (90 if vertical else 270)
        assert max(abs(a - b) for a, b in itertools.pairwise(centres)) <= 2
        # Bent, not just moved or sheared: the middle leaves the chord between the ends.
        middle = centres[len(centres) // 2]
        if abs(middle - (centres[0] + centres[-1]) / 2) > 1:
            curved += 1
    assert curved >= 7


def test_curves_are_bands_as_wide_as_a_glyph_stroke_with_a_faint_margin() -> None:
    layer = Image.new("L", (300, 100), captcha_image._NO_INK)
    captcha_image._draw_curves(layer, (60.0, 240.0), random.Random(3))
    data = layer.tobytes()
    faint = captcha_image._OPPOSITE + 1
    body = captcha_image._OPPOSITE + captcha_image._LEVELS
    stroke = glyph_stroke_width(captcha_image._glyph_levels(FONT, "E", 78, 9)[1])

    assert set(data) == {captcha_image._NO_INK, faint, body}
    # Both curves cross the whole text: every column there meets at least one band about a
    # glyph stroke wide, with a faint pixel beyond each edge.
    for x in range(60, 240):
        column = data[x::300]
        runs = [len(list(run)) for value, run in itertools.groupby(column) if value == body]
        assert runs
        assert 0.6 * stroke <= max(runs) <= 2.5 * stroke
        inked = [y for y, value in enumerate(column) if value == body]
        assert column[inked[0] - 1] == faint
        assert column[inked[-1] + 1] == faint


def glyph_stroke_width(mask: Image.Image) -> float:
    """A glyph's stroke width: twice its area over the length of its outline."""
    area = mask.histogram()[255]
    inner = mask.filter(ImageFilter.MinFilter(3)).histogram()[255]
    return 2 * area / (area - inner)


def test_curve_is_a_band_of_its_width_in_a_wider_margin_across_the_text() -> None:
    margin = captcha_image._CURVE_MARGIN
    for seed in range(20):
        rng = random.Random(seed)
        body, rim = captcha_image._curve((300, 100), (80.0, 200.0), 0.06, (0.4, 0.5), rng)

        # Each outline is the band's upper edge left to right, then its lower edge back: the
        # body 6 px (6% of 100 px) across the centre line, the margin 2 x 1.5 px more, both
        # round the same centre line.
        half = len(body) // 2
        assert len(body) == len(rim)
        for outline, across in ((body, 6), (rim, 6 + 2 * margin)):
            pairs = zip(outline[:half], outline[half:][::-1], strict=True)
            assert all(abs(math.dist(a, b) - across) < 1e-9 and a[1] < b[1] for a, b in pairs)
        centres = [
            [
                ((x0 + x1) / 2, (y0 + y1) / 2)
                for (x0, y0), (x1, y1) in zip(outline[:half], outline[half:][::-1], strict=True)
            ]
            for outline in (body, rim)
        ]
        assert all(math.dist(a, b) < 1e-9 for a, b in zip(*centres, strict=True))
        # From before the text's left edge to past its right edge, inside the image.
        assert 0 <= body[0][0] < 80 and 200 < body[half - 1][0] <= 300


def test_glyph_levels_and_mask_agree() -> None:
    levels, mask = captcha_image._glyph_levels(FONT, "8", 78, 17)

    assert levels.size == mask.size
    # Cropped to its coverage, whose faintest rim stays below the first level.
    left, top, right, bottom = levels.getbbox() or (0, 0, 0, 0)
    assert max(left, top, levels.width - right, levels.height - bottom) <= 2
    assert set(levels.tobytes()) == {0, 1, 2, 3}
    assert all(
        (level > 0) == (value == 255) and value in (0, 255)
        for level, value in zip(levels.tobytes(), mask.tobytes(), strict=True)
    )


def test_a_glyph_cache_miss_turns_the_cached_upright_glyph() -> None:
    captcha_image._glyph_levels.cache_clear()
    captcha_image._upright_glyph.cache_clear()
    render("A3F7C", seed=5)
    drawn = captcha_image._upright_glyph.cache_info().misses

    before = captcha_image._upright_glyph.cache_info()

    captcha_image._glyph_levels.cache_clear()
    render("A3F7C", seed=6)
    after = captcha_image._upright_glyph.cache_info()

    assert captcha_image._glyph_levels.cache_info().misses == 5
    # Every miss starts from the upright glyph, and one already drawn at that size is reused.
    assert (after.hits + after.misses) - (before.hits + before.misses) == 5
    assert after.hits > before.hits
    assert after.misses - drawn < 5


@pytest.mark.parametrize(("width", "height"), [(1, 1), (5, 20), (20, 1)])
def test_images_smaller_than_the_warp_grid_render(width: int, height: int) -> None:
    # Fewer pixels than grid cells leaves some cells empty; they are skipped, not divided by.
    image = Image.open(io.BytesIO(render("A", width=width, height=height, scale=1)))

    assert image.size == (width, height)
