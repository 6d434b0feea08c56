"""The visual comparison itself, on pictures made here (no browser)."""

from __future__ import annotations

import pytest
from PIL import Image

from qa.visual import MAX_CHANGED_PIXELS, compare

GREY = (200, 200, 200)


def page_with_block(colour: tuple[int, int, int]) -> Image.Image:
    """A grey page with a 20 x 20 block (400 pixels, more than may change) of ``colour``."""
    page = Image.new("RGB", (100, 60), GREY)
    page.paste(colour, (10, 10, 30, 30))
    return page


def test_the_same_picture_matches() -> None:
    assert compare(page_with_block((0, 0, 255)), page_with_block((0, 0, 255))) == ("", None)


# A colour that moves in one channel alone, by far more than anti-aliasing's wobble, but little
# in brightness: blue 255 -> 64 is 22 of 255 in luma, red 200 -> 128 is 22 too.
@pytest.mark.parametrize(
    ("before", "after"),
    [((0, 0, 255), (0, 0, 64)), ((200, 0, 0), (128, 0, 0))],
    ids=["blue", "red"],
)
def test_a_change_in_one_channel_alone_fails(before, after) -> None:
    why, picture = compare(page_with_block(before), page_with_block(after))

    assert why == f"400 pixels changed (at most {MAX_CHANGED_PIXELS} may)"
    assert picture is not None
    assert picture.getpixel((20, 20)) == (255, 0, 0)  # the changed pixels, red in the picture


def test_a_wobble_of_one_step_matches() -> None:
    assert compare(page_with_block((0, 0, 255)), page_with_block((0, 0, 239)))[0] == ""
