"""Accessibility audits in the browser under test: axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules,
and the layout checks axe has no rule for (horizontal scrolling, touch target size).

axe-core comes from npm, pinned in ``qa/axe/package-lock.json`` and installed by ``make test``
(``npm ci --prefix qa/axe``); it is injected into the page by WebDriver, so the audit works the
same in a local Chromium and in a browser on a remote grid, and nothing is fetched from a CDN.
Any page test can call it::

    from qa.accessibility import audit
    assert audit(driver) == []

Nothing here asserts: each function returns what it found, for the test to judge.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selenium.webdriver.remote.webdriver import WebDriver

__all__ = [
    "AXE_SCRIPT",
    "WCAG_A_AA",
    "AxeUnavailable",
    "Violation",
    "audit",
    "horizontal_overflow",
    "small_touch_targets",
]

AXE_SCRIPT = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# The rule sets of WCAG 2.0, 2.1 and 2.2, levels A and AA, as axe-core tags them (WCAG 2.2 adds no
# level A rule axe can check; its AA one is 2.5.8's 24 px target size).
WCAG_A_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa")
# WCAG 2.5.5's (AAA) size for a touch target, in CSS pixels: the site's own bar, above 2.5.8's 24.
MIN_TARGET_PX = 44


class AxeUnavailable(RuntimeError):
    """axe-core is not installed; the message says how to install it."""


@dataclass(frozen=True)
class Violation:
    """One axe rule a page breaks, and where."""

    rule: str
    impact: str
    help: str
    targets: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.rule} ({self.impact}): {self.help} at {', '.join(self.targets)}"


@functools.cache
def _axe_source() -> str:
    if not AXE_SCRIPT.is_file():
        raise AxeUnavailable(
            f"axe-core is missing at {AXE_SCRIPT}. Install it with "
            "`npm ci --prefix qa/axe` (`make test` does it)."
        )
    return AXE_SCRIPT.read_text(encoding="utf-8")


_RUN_AXE = """
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: "tag", values: arguments[0]}, resultTypes: ["violations"]})
  .then((results) => done(results.violations.map((v) => ({
    rule: v.id, impact: v.impact || "", help: v.help,
    targets: v.nodes.map((node) => node.target.join(" ")),
  }))))
  .catch((error) => done({error: String(error)}));
"""


def audit(driver: WebDriver, *, tags: tuple[str, ...] = WCAG_A_AA) -> list[Violation]:
    """The axe-core violations of the page the browser shows, for the rules tagged ``tags``."""
    if not driver.execute_script("return typeof window.axe === 'object';"):
        driver.execute_script(_axe_source())
    found: Any = driver.execute_async_script(_RUN_AXE, list(tags))
    if isinstance(found, dict):
        raise RuntimeError(f"axe-core failed on {driver.current_url}: {found['error']}")
    return [
        Violation(item["rule"], item["impact"], item["help"], tuple(item["targets"]))
        for item in found
    ]


def horizontal_overflow(driver: WebDriver) -> int:
    """How many CSS pixels the page is wider than the window (0: no horizontal scrolling)."""
    return driver.execute_script(
        "const root = document.documentElement; return root.scrollWidth - root.clientWidth;"
    )


_SMALL_TARGETS = """
const min = arguments[0];
const found = [];
for (const el of document.querySelectorAll("a[href], button, input, select, textarea, label")) {
  if (el.matches("input[type=hidden], input[type=checkbox], input[type=radio]")) continue;
  if (el.matches("label") && !el.querySelector("input[type=checkbox], input[type=radio]")) continue;
  const box = el.getBoundingClientRect();
  if (box.width === 0 && box.height === 0) continue;  // not shown
  if (box.width < min || box.height < min) {
    const named = el.name ? `[name=${el.name}]` : "";
    const name = el.id ? "#" + el.id : el.tagName.toLowerCase() + named;
    found.push(`${name} ${Math.round(box.width)}x${Math.round(box.height)}`);
  }
}
return found;
"""


def small_touch_targets(driver: WebDriver, *, minimum: int = MIN_TARGET_PX) -> list[str]:
    """Controls smaller than ``minimum`` CSS pixels either way, as ``"#id WxH"``.

    A checkbox counts by the label that wraps it (the label is its target); links count whole.
    """
    return driver.execute_script(_SMALL_TARGETS, minimum)
