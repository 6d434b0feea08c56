"""``python -m bench.ocr [--count 1000] [--seeds 4 5 6]``: how often OCR reads the captcha exactly.

Two renderers are compared over random answers (5 distinct characters of ``0-9A-F``):

- ``render_png``: the project's captcha, 150x50 CSS px served at 2x (``member.captcha_image``),
  ``--count`` images for each of the ``--seeds``;
- seed style: the original design, red text at (5, 5) in a white 60x30 image, Kavivanar size 16,
  ``--reference-count`` images for the first seed: a reference that shows what the attacks do.

Each image is attacked five ways with Tesseract (``--psm 7``, a single text line, or ``--psm 10``,
a single character, and a whitelist of the alphabet: it knows the answer's form). Every attack
starts from the image at twice its displayed height (Lanczos; the project's 2x image already is):

- (a) plain: the grayscale image;
- (b) cleaned: a median filter and an Otsu threshold, the usual clean-up against noise;
- (c) colour layers: the ink (darker than Otsu's threshold) split into one layer per ink colour
  (k-means over the ink's colours, k the answer's length; each pixel goes to the colour it is a
  blend of with the paper), thin strokes opened away in each layer (a min then max filter a bit
  narrower than the ink's typical stroke), each heavy run of inked columns in a layer taken for
  a glyph of that colour (the answer's length of them at most, the heaviest), and the glyphs
  set apart, left to right, on one clean line;
- (d) colour union: the union of the text-coloured layers (those with a glyph after opening),
  opened the same way: the whole text without the thin strokes;
- (e) one layer at a time: each glyph of (c) read alone as a single character, left to right.

A read counts when it equals the answer ignoring case and whitespace; an image counts as read when
any attack reads it. Target (issue 18): at most 1% of ``render_png``'s images read by any attack,
on every seed. The answers and drawings come from the seeds, so a run is repeatable. Tesseract
runs once per batch of pages (a list of files), not once per page, so its start-up is paid rarely;
its LSTM engine reads each page of a batch on its own, as a run of its own would. Needs Debian
``tesseract-ocr`` and ``pytesseract`` (bench dependencies only).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from member.captcha_image import render_png

ROOT = Path(__file__).resolve().parent.parent
FONT_PATH = str(ROOT / "static" / "fonts" / "Kavivanar-Regular.woff")
ALPHABET = "0123456789ABCDEF"
LENGTH = 5
TARGET_SHARE = 0.01
WHITELIST = f"-c tessedit_char_whitelist={ALPHABET}"
# Ink colours closer than this (RGB distance) to a blend of a darker one with the paper are
# taken for that colour's anti-aliased shades.
MERGE_DISTANCE = 24
# A run of columns in a colour layer counts as a glyph from this share of the heaviest run's ink.
GLYPH_SHARE = 0.3
# Images per Tesseract run: large enough that its start-up is paid rarely.
BATCH = 25


def render_project(text: str, rng: random.Random) -> bytes:
    """The project's captcha at the size and scale the site serves."""
    return render_png(text, width=150, height=50, scale=2, font_path=FONT_PATH, rng=rng)


def render_seed_style(text: str, rng: random.Random) -> bytes:
    """The seed's captcha as its view drew it: plain red text on white, no distortion."""
    del rng  # the seed drew no randomness into the image
    image = Image.new("RGB", (60, 30), (255, 255, 255))
    font = ImageFont.truetype(FONT_PATH, 16)
    ImageDraw.Draw(image).text((5, 5), text, font=font, fill=(255, 0, 0))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


@dataclasses.dataclass(frozen=True)
class Renderer:
    name: str
    render: Callable[[str, random.Random], bytes]
    display_height: int  # CSS px the page shows the image at


RENDERERS = (
    Renderer("render_png (150x50, 2x)", render_project, 50),
    Renderer("seed style (60x30, red on white)", render_seed_style, 30),
)


def answers_for(count: int, seed: int) -> list[str]:
    """``count`` repeatable answers of the form the site draws; other seeds give other answers."""
    return ["".join(random.Random(f"{seed}:{i}").sample(ALPHABET, LENGTH)) for i in range(count)]


# --- Attacks: each turns the image into pages for Tesseract; its read is the pages' reads joined.


@dataclasses.dataclass(frozen=True)
class Attack:
    key: str
    title: str
    psm: int  # Tesseract page segmentation mode: 7 a line, 10 a single character


ATTACKS = (
    Attack("a", "(a) plain", 7),
    Attack("b", "(b) cleaned", 7),
    Attack("c", "(c) colour layers", 7),
    Attack("d", "(d) colour union", 7),
    Attack("e", "(e) one layer at a time", 10),
)


def upscaled(png: bytes, display_height: int) -> Image.Image:
    """The image in RGB at twice its displayed height (Lanczos), where Tesseract reads best."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    factor = 2 * display_height / image.height
    size = (round(image.width * factor), round(image.height * factor))
    return image.resize(size, Image.Resampling.LANCZOS) if factor != 1 else image


def cleaned(image: Image.Image, median: int) -> Image.Image:
    """Attack (b)'s page: a median filter against specks and thin lines, then Otsu's threshold."""
    filtered = image.filter(ImageFilter.MedianFilter(median))
    threshold = otsu_threshold(filtered.histogram())
    return filtered.point(lambda value: 255 if value > threshold else 0)


def otsu_threshold(histogram: Sequence[int]) -> int:
    """The grey level that best splits a 256-bin histogram into two classes (Otsu, 1979)."""
    total = sum(histogram)
    weighted_total = sum(level * count for level, count in enumerate(histogram))
    below = weighted_below = 0
    best_level, best_variance = 0, -1.0
    for level, count in enumerate(histogram):
        below += count
        weighted_below += level * count
        above = total - below
        if below == 0 or above == 0:
            continue
        mean_gap = weighted_below / below - (weighted_total - weighted_below) / above
        variance = below * above * mean_gap * mean_gap
        if variance > best_variance:
            best_level, best_variance = level, variance
    return best_level


Colour = tuple[float, float, float]


def colour_layers(image: Image.Image, count: int) -> list[Image.Image]:
    """The ink split by colour: ``count`` binary masks (255 = ink of that colour) at most.

    Ink is what is darker than Otsu's threshold. The colours are k-means centres of the darkest
    ink, where anti-aliasing has not mixed in the paper; every ink pixel then goes to the centre
    it is the nearest blend of with the paper (the mean colour of what is not ink), so faint
    edges join their glyph rather than a paler layer of their own.
    """
    gray = image.convert("L")
    histogram = gray.histogram()
    threshold = otsu_threshold(histogram)
    darkest = next(level for level, n in enumerate(histogram) if n)
    ink = gray.point(lambda value: 255 if value <= threshold else 0)
    paper = _mean_colour(image, ImageChops.invert(ink))
    core = gray.point(lambda value: 255 if value <= (darkest + threshold) // 2 else 0)
    white = Image.new("RGB", image.size, (255, 255, 255))
    weighted = [
        (n, colour)
        for n, colour in Image.composite(image, white, core).getcolors(1 << 24) or []
        if colour != (255, 255, 255)
    ]
    if not weighted:
        return []
    centres = _distinct(_kmeans(weighted, min(count, len(weighted))), paper)
    inked = Image.composite(image, white, ink)
    label = {
        colour: _nearest_blend(colour, centres, paper)
        for _, colour in inked.getcolors(1 << 24) or []
        if colour != (255, 255, 255)
    }
    data = inked.tobytes()
    labels = bytes(
        label.get((data[i], data[i + 1], data[i + 2]), 255) for i in range(0, len(data), 3)
    )
    labelled = Image.frombytes("L", image.size, labels)
    return [labelled.point(lambda v, k=k: 255 if v == k else 0) for k in range(len(centres))]


def _mean_colour(image: Image.Image, mask: Image.Image) -> Colour:
    means = []
    for band in image.split():
        histogram = band.histogram(mask)
        means.append(sum(v * n for v, n in enumerate(histogram)) / max(1, sum(histogram)))
    return means[0], means[1], means[2]


def _kmeans(weighted: list[tuple[int, tuple[int, int, int]]], k: int) -> list[Colour]:
    """Weighted k-means in RGB, started from the most common colour and then the farthest ones."""
    points = [(tuple(map(float, colour)), n) for n, colour in weighted]

    def distance(a: Sequence[float], b: Sequence[float]) -> float:
        return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2 + (a[2] - b[2]) ** 2

    centres: list[Colour] = [max(points, key=lambda point: point[1])[0]]  # type: ignore[list-item]
    while len(centres) < k:
        centres.append(
            max(points, key=lambda p: p[1] * min(distance(p[0], c) for c in centres))[0]  # type: ignore[arg-type]
        )
    for _ in range(20):
        sums = [[0.0, 0.0, 0.0, 0.0] for _ in centres]
        for colour, n in points:
            nearest = min(range(len(centres)), key=lambda j: distance(colour, centres[j]))
            total = sums[nearest]
            total[0] += colour[0] * n
            total[1] += colour[1] * n
            total[2] += colour[2] * n
            total[3] += n
        moved = [
            (s[0] / s[3], s[1] / s[3], s[2] / s[3]) if s[3] else centres[j]
            for j, s in enumerate(sums)
        ]
        if moved == centres:
            break
        centres = moved
    return centres


def _distinct(centres: list[Colour], paper: Colour) -> list[Colour]:
    """``centres`` without those that are a paler blend of a darker one with the paper: an ink
    with fewer colours than ``count`` is not cut into shades of one colour."""
    kept: list[Colour] = []
    for centre in sorted(centres, key=sum):
        if not kept or _blend_error(centre, kept[_nearest_blend(centre, kept, paper)], paper) > (
            MERGE_DISTANCE**2
        ):
            kept.append(centre)
    return kept


def _blend_error(colour: Sequence[float], centre: Colour, paper: Colour) -> float:
    """Squared distance from ``colour`` to the nearest blend of ``centre`` with ``paper``."""
    seen = [c - p for c, p in zip(colour, paper, strict=True)]
    ink = [c - p for c, p in zip(centre, paper, strict=True)]
    norm = sum(v * v for v in ink) or 1.0
    opacity = max(0.0, min(1.0, sum(s * i for s, i in zip(seen, ink, strict=True)) / norm))
    return sum((s - opacity * i) ** 2 for s, i in zip(seen, ink, strict=True))


def _nearest_blend(colour: Sequence[float], centres: list[Colour], paper: Colour) -> int:
    """The centre whose blend with ``paper`` (at the best opacity) comes closest to ``colour``."""
    errors = [_blend_error(colour, centre, paper) for centre in centres]
    return errors.index(min(errors))


def stroke_width(mask: Image.Image) -> float:
    """The ink's typical stroke width in pixels: twice its area over its outline's length."""
    area = mask.histogram()[255]
    inner = mask.filter(ImageFilter.MinFilter(3)).histogram()[255]
    return 2 * area / max(1, area - inner)


def opened(mask: Image.Image, size: int) -> Image.Image:
    """``mask`` without the strokes narrower than ``size`` (a morphological opening)."""
    if size < 3:
        return mask
    return mask.filter(ImageFilter.MinFilter(size)).filter(ImageFilter.MaxFilter(size))


def opening_size(mask: Image.Image) -> int:
    """The widest odd opening that keeps most strokes of the ink's typical width."""
    size = round(0.9 * stroke_width(mask))
    return size if size % 2 else size - 1


def ink_runs(mask: Image.Image) -> list[tuple[int, int, int]]:
    """The runs of consecutive inked columns: (first, past last, ink pixels) each."""
    width, height = mask.size
    columns = mask.transpose(Image.Transpose.TRANSPOSE).tobytes()
    mass = [columns[x * height : (x + 1) * height].count(255) for x in range(width)]
    runs, start, run_mass = [], 0, 0
    for x, m in enumerate([*mass, 0]):
        if m:
            if not run_mass:
                start = x
            run_mass += m
        elif run_mass:
            runs.append((start, x, run_mass))
            run_mass = 0
    return runs


def layer_glyphs(layers: list[Image.Image], size: int, count: int) -> list[Image.Image]:
    """The glyphs of every layer, opened and cropped to their ink, left to right.

    A glyph is a run of inked columns in an opened layer (a layer may hold several glyphs of
    one colour) with at least ``GLYPH_SHARE`` of the heaviest run's ink; the ``count``
    heaviest are kept.
    """
    found = []
    for layer in layers:
        body = opened(layer, size)
        for left, right, mass in ink_runs(body):
            strip = body.crop((left, 0, right, body.height))
            found.append((mass, left, strip.crop(strip.getbbox())))
    if not found:
        return []
    heaviest = max(mass for mass, *_ in found)
    found = [glyph for glyph in found if glyph[0] >= GLYPH_SHARE * heaviest]
    kept = sorted(found, key=lambda glyph: glyph[0], reverse=True)[:count]
    return [mask for _, _, mask in sorted(kept, key=lambda glyph: glyph[1])]


def page_of(masks: Sequence[Image.Image], gap: int) -> Image.Image:
    """Black-on-white page with ``masks`` side by side, ``gap`` apart and around, centred in y."""
    height = max((mask.height for mask in masks), default=1)
    width = sum(mask.width for mask in masks) + gap * (len(masks) + 1)
    page = Image.new("L", (max(width, 2 * gap), height + 2 * gap), 255)
    x = gap
    for mask in masks:
        page.paste(0, (x, gap + (height - mask.height) // 2), mask)
        x += mask.width + gap
    return page


def attack_pages(png: bytes, display_height: int, median: int) -> dict[str, list[Image.Image]]:
    """Every attack's pages for one image."""
    image = upscaled(png, display_height)
    gray = image.convert("L")
    layers = colour_layers(image, LENGTH)
    union = Image.new("L", image.size, 0)
    for layer in layers:
        union = ImageChops.lighter(union, layer)
    size = opening_size(union)
    glyphs = layer_glyphs(layers, size, LENGTH)
    text_layers = [layer for layer in layers if opened(layer, size).getbbox()]
    text = Image.new("L", image.size, 0)
    for layer in text_layers:
        text = ImageChops.lighter(text, layer)
    gap = max(8, image.height // 6)
    return {
        "a": [gray],
        "b": [cleaned(gray, median)],
        "c": [page_of(glyphs, gap)],
        "d": [ImageChops.invert(opened(text, size))],
        "e": [page_of([glyph], gap) for glyph in glyphs],
    }


def read_pages(pages: Sequence[Image.Image], psm: int) -> list[str]:
    """Tesseract's read of each page, in one run over a list of files; whitespace dropped."""
    import pytesseract  # bench-only dependency, imported where used

    if not pages:
        return []
    with tempfile.TemporaryDirectory(prefix="bench-ocr-") as directory:
        paths = []
        for number, page in enumerate(pages):
            path = Path(directory) / f"{number:05d}.png"
            page.save(path)
            paths.append(str(path))
        listing = Path(directory) / "pages.txt"
        listing.write_text("\n".join(paths) + "\n")
        data = pytesseract.image_to_data(
            str(listing), config=f"--psm {psm} {WHITELIST}", output_type=pytesseract.Output.DICT
        )
    texts = [""] * len(pages)
    for page, level, text in zip(data["page_num"], data["level"], data["text"], strict=True):
        if level == 5:  # a word
            texts[page - 1] += "".join(str(text).split()).upper()
    return texts


def _attack_batch(job: tuple[list[bytes], int, int]) -> list[dict[str, str]]:
    """Every attack's read of every image of a batch: one Tesseract run per attack."""
    pngs, display_height, median = job
    prepared = [attack_pages(png, display_height, median) for png in pngs]
    reads: list[dict[str, str]] = [{} for _ in pngs]
    for attack in ATTACKS:
        pages = [page for pages in prepared for page in pages[attack.key]]
        texts = iter(read_pages(pages, attack.psm))
        for image, pages_of in zip(reads, prepared, strict=True):
            image[attack.key] = "".join(next(texts) for _ in pages_of[attack.key])
    return reads


@dataclasses.dataclass(frozen=True)
class Row:
    renderer: str
    seed: int
    images: int
    reads: dict[str, int]  # exact reads per attack key
    any_reads: int  # images read by at least one attack
    median_render_ms: float


def run(
    *, count: int, seeds: Sequence[int], reference_count: int, jobs: int, median: int
) -> list[Row]:
    """Render ``count`` answers per seed (``reference_count`` seed-style ones for the first seed),
    attack each image every way, and count exact reads.

    Rendering is timed here, one image at a time in this process, so the OCR workers running
    alongside do not inflate the figure; the attacks run on ``jobs`` processes.
    """
    # One Tesseract thread per process: the pool already keeps every core busy.
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    work = [(RENDERERS[0], seed, count) for seed in seeds]
    work += [(RENDERERS[1], seeds[0], reference_count)] if reference_count else []
    rows = []
    with multiprocessing.Pool(jobs) as pool:
        for renderer, seed, images in work:
            answers = answers_for(images, seed)
            pngs, times = [], []
            for i, answer in enumerate(answers):
                rng = random.Random(f"{seed}:{i}:drawing")
                started = time.perf_counter()
                pngs.append(renderer.render(answer, rng))
                times.append(time.perf_counter() - started)
            batches = [
                (pngs[i : i + BATCH], renderer.display_height, median)
                for i in range(0, images, BATCH)
            ]
            reads = [read for batch in pool.map(_attack_batch, batches) for read in batch]
            hits = [
                {key for key, text in read.items() if text == answer}
                for read, answer in zip(reads, answers, strict=True)
            ]
            rows.append(
                Row(
                    renderer=renderer.name,
                    seed=seed,
                    images=images,
                    reads={a.key: sum(a.key in hit for hit in hits) for a in ATTACKS},
                    any_reads=sum(bool(hit) for hit in hits),
                    median_render_ms=statistics.median(times) * 1000,
                )
            )
    return rows


def table(rows: Sequence[Row]) -> str:
    """The rows as a markdown table."""

    def share(reads: int, images: int) -> str:
        return f"{reads / images:.1%} ({reads})"

    lines = [
        "| renderer | seed | images | "
        + " | ".join(attack.title for attack in ATTACKS)
        + " | any attack | render time (median) |",
        "| --- | ---: | ---: | " + "---: | " * len(ATTACKS) + "---: | ---: |",
    ]
    lines += [
        f"| {row.renderer} | {row.seed} | {row.images} | "
        + " | ".join(share(row.reads[attack.key], row.images) for attack in ATTACKS)
        + f" | **{share(row.any_reads, row.images)}** | {row.median_render_ms:.2f} ms |"
        for row in rows
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Print the OCR table; 0 when it ran (whatever the figures), 1 when Tesseract is missing."""
    parser = argparse.ArgumentParser(prog="python -m bench.ocr", description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="images per seed (1000)")
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=[4, 5, 6], help="answer seeds (4 5 6)"
    )
    parser.add_argument(
        "--reference-count", type=int, default=200, help="seed-style images, first seed (200)"
    )
    parser.add_argument(
        "--jobs", type=int, default=min(2, os.cpu_count() or 1), help="OCR processes"
    )
    parser.add_argument("--median", type=int, default=3, help="median filter size for (b) (3)")
    args = parser.parse_args(argv)
    if args.count < 1 or args.jobs < 1 or args.reference_count < 0:
        parser.error("--count and --jobs must be positive, --reference-count not negative")
    if args.median < 3 or args.median % 2 == 0:
        parser.error("--median must be odd and at least 3")

    import pytesseract

    try:
        version = pytesseract.get_tesseract_version()
    except pytesseract.TesseractNotFoundError:
        print("bench.ocr: Tesseract not found; install Debian's tesseract-ocr", file=sys.stderr)
        return 1

    started = time.perf_counter()
    rows = run(
        count=args.count,
        seeds=args.seeds,
        reference_count=args.reference_count,
        jobs=args.jobs,
        median=args.median,
    )
    ours = [row for row in rows if row.renderer == RENDERERS[0].name]
    worst = max(row.any_reads / row.images for row in ours)
    print(f"OCR exact reads, Tesseract {version}, whitelist {ALPHABET}; (b) median {args.median}\n")
    print(table(rows))
    print(
        f"\ntarget: at most {TARGET_SHARE:.0%} of render_png's images read by any attack, "
        f"on every seed: {'met' if worst <= TARGET_SHARE else 'NOT met'} "
        f"({time.perf_counter() - started:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
