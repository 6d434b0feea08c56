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
from PIL import Image

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
    colours = [(90, 20, 20), (20, 90, 20)]
    field, palette = captcha_image._background((150, 50), scale, colours, random.Random(scale))
    side = 2 * scale
    rows = [field.tobytes()[y * field.width : (y + 1) * field.width] for y in range(field.height)]

    assert field.size == (150 * scale, 50 * scale)
    # Each cell is one shade: rows repeat within a cell, and so do pixels along a row...
    assert all(rows[y] == rows[y - y % side] for y in range(field.height))
    assert all(len(set(row[x : x + side])) == 1 for row in rows for x in range(0, len(row), side))
    # ...and the cells take many shades, all of them background ones.
    shades = set(field.tobytes())
    assert len(shades) > 8
    assert max(shades) < captcha_image._BACKGROUND_SHADES
    assert len(palette) == 3 * (captcha_image._BACKGROUND_SHADES + 3 * len(colours))


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
        inked = [x for x, value in enumerate(row) if value]
        if inked:
            centres.append(sum(inked) / len(inked))
    return centres


@pytest.mark.parametrize("vertical", [True, False])
def test_warp_bends_straight_strokes_smoothly(vertical: bool) -> None:
    layer = Image.new("L", (300, 100), 0)
    layer.paste(200, (148, 0, 152, 100) if vertical else (0, 48, 300, 52))
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


def test_curves_are_wide_bands_in_neighbours_inks_with_a_faint_margin() -> None:
    layer = Image.new("L", (300, 100), 0)
    bounds = [0.0, 60.0, 120.0, 180.0, 240.0, 300.0]
    captcha_image._draw_curves(layer, bounds, [0, 1, 2, 3, 4], random.Random(3))
    data = layer.tobytes()
    faint = {captcha_image._ink_index(ink, 0) for ink in range(5)}
    body = {captcha_image._ink_index(ink) for ink in range(5)}

    assert set(data) <= {0} | faint | body
    assert len(set(data) & body) >= 3  # a stretch per character, in neighbouring inks
    # Both curves cross the middle of the image: every column there meets a body at least 4 px
    # thick, and its outermost body pixels have a faint pixel beyond them.
    for x in range(100, 200):
        column = data[x::300]
        inked = [y for y, value in enumerate(column) if value in body]
        assert len(inked) >= 4
        assert column[inked[0] - 1] in faint
        assert column[inked[-1] + 1] in faint


def test_curve_stretches_share_their_ends_around_the_centre_line() -> None:
    bounds = [0.0, 60.0, 120.0, 180.0, 240.0, 300.0]
    for seed in range(20):
        rng = random.Random(seed)
        centre, stretches = captcha_image._curve(
            (300, 100), bounds, [0, 1, 2, 3, 4], 0.06, (0.4, 0.5), rng
        )
        outlines = [outline for _, outline in stretches]

        # Each outline is the band's upper edge left to right, then its lower edge back.
        # Consecutive stretches meet along a shared cut: the curve is never broken between them.
        for a, b in itertools.pairwise(outlines):
            assert a[len(a) // 2 - 1] == b[0]
            assert a[len(a) // 2] == b[-1]
        # The band is centred on the centre line, which the margin line follows, 6 px across.
        uppers = [point for outline in outlines for point in outline[: len(outline) // 2]]
        lowers = [point for outline in outlines for point in outline[len(outline) // 2 :][::-1]]
        pairs = dict(zip(uppers, lowers, strict=True))
        middles = [((x0 + x1) / 2, (y0 + y1) / 2) for (x0, y0), (x1, y1) in pairs.items()]
        assert len(middles) == len(centre)
        for (mx, my), (cx, cy) in zip(middles, centre, strict=True):
            assert abs(mx - cx) < 1e-9 and abs(my - cy) < 1e-9
        assert all(abs(math.dist(upper, lower) - 6) < 1e-9 for upper, lower in pairs.items())
        assert len({ink for ink, _ in stretches}) == len(stretches)


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
