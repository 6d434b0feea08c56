"""Visual regression: a page as the browser draws it, against a committed baseline screenshot.

A shot is the whole page at the window's width (the window grows to the page's height for it),
with what changes from run to run painted over (the captcha image, and whatever else ``mask``
names), the text caret hidden, transitions off, the pointer moved off every control and the
fonts loaded. Shots are compared with their colours posterised to ``COLOUR_BITS`` bits a channel;
they match when they have the same size and at most ``MAX_CHANGED_PIXELS`` of their pixels moved
by more than ``PIXEL_THRESHOLD`` in a channel: room for a rendering wobble (one step of 16), none
for a changed colour, word or layout.

Baselines are ``qa/baselines/<name>.png``, posterised and stored with a palette (small in git),
made by ``pytest --update-baselines`` with the Debian Chromium and fonts
``make test`` installs; another browser or font set draws text differently.
Nothing here asserts: ``check_look`` returns the difference, for the test to judge.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageChops, ImageOps
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.remote.webdriver import WebDriver

__all__ = [
    "BASELINES",
    "DEFAULT_MASK",
    "LookDifference",
    "check_look",
    "compare",
    "page_shot",
]

BASELINES = Path(__file__).resolve().parent / "baselines"
# Random on every visit: the captcha image.
DEFAULT_MASK = ("#img_captcha",)
MASK_COLOUR = (255, 0, 255)
# Bits kept of each colour channel for the comparison and the baselines: 16 steps a channel.
COLOUR_BITS = 4
# A channel moving by more than this (of 255) counts: one step of 16 is anti-aliasing's wobble.
PIXEL_THRESHOLD = 24
# Changed pixels a shot may have and still match (a recoloured heading changes thousands).
MAX_CHANGED_PIXELS = 100

# Ready for a shot: fonts loaded, images decoded, caret and transitions off (through the CSS
# object model: the site's Content-Security-Policy refuses a <style> element, not a rule added
# to its own stylesheet). Answers how much taller than the window the page is.
_PREPARE = """
const done = arguments[arguments.length - 1];
const sheet = [...document.styleSheets].find((s) => { try { return s.cssRules; } catch (e) {} });
if (sheet && !window.__qaStill) {
  sheet.insertRule("*, *::before, *::after { caret-color: transparent !important;"
    + " transition: none !important; animation: none !important; }", sheet.cssRules.length);
  window.__qaStill = true;
}
const images = [...document.images].map((img) => img.decode().catch(() => null));
Promise.all([document.fonts.ready, ...images]).then(
  () => done(document.documentElement.scrollHeight - innerHeight));
"""

# The boxes of the elements to mask, in page pixels (taken once the window has its final size:
# a scroll bar that goes away moves a centred page sideways).
_BOXES = """
const boxes = [];
for (const selector of arguments[0]) {
  for (const el of document.querySelectorAll(selector)) {
    const b = el.getBoundingClientRect();
    boxes.push([b.left + scrollX, b.top + scrollY, b.right + scrollX, b.bottom + scrollY]);
  }
}
return boxes;
"""


@dataclass(frozen=True, repr=False)
class LookDifference:
    """A shot that does not match its baseline: why, and the three pictures (PNG bytes)."""

    name: str
    reason: str
    shot: bytes
    baseline: bytes = b""
    diff: bytes = b""

    def __str__(self) -> str:
        return f"{self.name}: {self.reason}"

    def __repr__(self) -> str:
        return f"LookDifference({str(self)!r})"


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def posterised(image: Image.Image) -> Image.Image:
    """What a comparison sees: ``COLOUR_BITS`` bits a channel (the same pixel always maps to the
    same colour, unlike a palette chosen per image)."""
    return ImageOps.posterize(image.convert("RGB"), COLOUR_BITS)


def baseline_png(image: Image.Image) -> bytes:
    """``posterised(image)`` as a PNG with a palette of exactly its colours (lossless), or in
    full colour when it has more than 256."""
    reduced = posterised(image)
    colours = reduced.getcolors(256)
    if colours is None:
        return png_bytes(reduced)
    palette = Image.new("P", (1, 1))
    palette.putpalette([channel for _count, rgb in colours for channel in rgb])
    return png_bytes(reduced.quantize(palette=palette, dither=Image.Dither.NONE))


def page_shot(driver: WebDriver, *, mask: Sequence[str] = DEFAULT_MASK) -> Image.Image:
    """The whole page as an RGB image, ``mask``'s elements painted over."""
    # Off every control: a button under the pointer would be drawn hovered.
    actions = ActionBuilder(driver, duration=0)  # a jump: WebDriver's default move glides
    actions.pointer_action.move_to_location(0, 0)
    actions.perform()
    grow = driver.execute_async_script(_PREPARE)
    size = driver.get_window_size()
    if grow > 0:
        driver.set_window_size(size["width"], size["height"] + grow)
    try:
        boxes = driver.execute_script(_BOXES, list(mask))
        image = Image.open(io.BytesIO(driver.get_screenshot_as_png())).convert("RGB")
    finally:
        if grow > 0:
            driver.set_window_size(size["width"], size["height"])
    for left, top, right, bottom in boxes:
        image.paste(MASK_COLOUR, (round(left), round(top), round(right), round(bottom)))
    return image


def compare(baseline: Image.Image, shot: Image.Image) -> tuple[str, Image.Image | None]:
    """Why ``shot`` does not match ``baseline`` ("" when it does), and a picture of the changes:
    the shot faded, each changed pixel red."""
    if baseline.size != shot.size:
        return (
            f"size {shot.size[0]}x{shot.size[1]}, baseline {baseline.size[0]}x{baseline.size[1]}",
            None,
        )
    delta = ImageChops.difference(baseline.convert("RGB"), shot.convert("RGB"))
    # The largest move of the three channels: a change in red or blue alone counts in full.
    largest = functools.reduce(ImageChops.lighter, delta.split())
    changed = largest.point(lambda value: 255 if value > PIXEL_THRESHOLD else 0)
    count = changed.histogram()[255]
    if count <= MAX_CHANGED_PIXELS:
        return "", None
    faded = Image.blend(shot, Image.new("RGB", shot.size, "white"), 0.6)
    faded.paste((255, 0, 0), mask=changed)
    return f"{count} pixels changed (at most {MAX_CHANGED_PIXELS} may)", faded


def check_look(
    driver: WebDriver,
    name: str,
    *,
    directory: Path = BASELINES,
    update: bool = False,
    mask: Sequence[str] = DEFAULT_MASK,
) -> LookDifference | None:
    """Shoot the page and compare it with ``directory/<name>.png``; ``update`` writes the shot
    as the new baseline instead. ``None`` when it matches (or was written)."""
    shot = page_shot(driver, mask=mask)
    path = directory / f"{name}.png"
    if update:
        directory.mkdir(parents=True, exist_ok=True)
        path.write_bytes(baseline_png(shot))
        return None
    # The report shows the shot as it was compared: posterised, like the baseline.
    if not path.is_file():
        reason = f"no baseline {path}: make one with --update-baselines"
        return LookDifference(name, reason, shot=baseline_png(shot))
    with Image.open(path) as stored:
        baseline = posterised(stored)
    reason, diff = compare(baseline, posterised(shot))
    if not reason:
        return None
    diff_png = png_bytes(diff) if diff else b""
    return LookDifference(
        name, reason, shot=baseline_png(shot), baseline=path.read_bytes(), diff=diff_png
    )
