"""The captcha component of the sign-in and sign-up pages: image, refresh and audio buttons, answer
field.

The answer comes from the site's test-only hook ``/member/debug/captcha/``, fetched by the page's
own JavaScript, in the browser's own session: that is the session the image was drawn for, and it
works the same against pytest-django's live server, ``--base-url`` and a browser on a remote grid
(none of which a separate HTTP client in the test process could share cookies with).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from qa.pages.base import Page

HOOK_PATH = "/member/debug/captcha/"
CAPTCHA_PATH = "/member/captcha/"
AUDIO_PATH = "/member/captcha/audio/"
# The audio button's data-audio-state once playback got somewhere: playing, over, or failed.
AUDIO_SETTLED = ("playing", "ended", "error")

# The image's load state as the page sees it: still loading, shown, or broken (not an image).
_IMAGE_STATE = """
const img = arguments[0];
if (!img.complete) return "loading";
return img.naturalWidth > 0 ? "shown" : "broken";
"""

# Runs in the page: a same-origin fetch that sends the page's session cookie.
_FETCH_HOOK = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: "same-origin", cache: "no-store"})
  .then((response) => response.text().then((body) => done({status: response.status, body})))
  .catch((error) => done({status: 0, body: String(error)}));
"""

# Only used to explain a broken image: status, type and Retry-After of a fresh image request.
_FETCH_STATUS = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: "same-origin", cache: "no-store"})
  .then((response) => done({
    status: response.status,
    type: response.headers.get("Content-Type"),
    retryAfter: response.headers.get("Retry-After"),
  }))
  .catch((error) => done({status: 0, type: String(error), retryAfter: null}));
"""

# The pixels the visitor sees, as a PNG data URL: two different images give different strings.
_PIXELS = """
const img = arguments[0];
const canvas = document.createElement("canvas");
canvas.width = img.naturalWidth;
canvas.height = img.naturalHeight;
canvas.getContext("2d").drawImage(img, 0, 0);
return canvas.toDataURL("image/png");
"""


# The audio as Chromium itself decodes it: the headers of a same-origin fetch in the page's session,
# and the length of the sound its Web Audio decoder finds (0 when it cannot decode it).
_PROBE_AUDIO = """
const done = arguments[arguments.length - 1];
fetch(arguments[0], {credentials: "same-origin", cache: "no-store"})
  .then((response) => response.arrayBuffer().then((body) => {
    const probe = {
      status: response.status,
      type: response.headers.get("Content-Type"),
      cacheControl: response.headers.get("Cache-Control"),
      bytes: body.byteLength,
      length: 0,
    };
    if (!response.ok) return done(probe);
    return new OfflineAudioContext(1, 1, 22050).decodeAudioData(body)
      .then((sound) => done({...probe, length: sound.duration}))
      .catch(() => done(probe));
  }))
  .catch((error) => done({status: 0, type: String(error)}));
"""


class CaptchaHookUnavailable(RuntimeError):
    """The site does not answer the debug hook: it runs without ``MEMBER_CAPTCHA_DEBUG_HOOK=1``."""


class CaptchaImageBroken(RuntimeError):
    """The captcha image did not decode (e.g. the server refused it with 429 Too Many Requests)."""


class Captcha:
    """The captcha block inside ``page``. State as properties, actions wait for their outcome."""

    _image = (By.ID, "img_captcha")
    _refresh_button = (By.ID, "btn_captcha")
    _audio_button = (By.ID, "btn_captcha_audio")
    _field = (By.ID, "id_captcha")
    _status = (By.ID, "captcha_status")

    def __init__(self, page: Page) -> None:
        self._page = page
        self._driver = page.driver

    # State.

    @property
    def src(self) -> str:
        """The image's current address: ``/member/captcha/`` at first, a ``blob:`` after refresh."""
        return self._page.find(self._image).get_attribute("src") or ""

    @property
    def natural_width(self) -> int:
        """Width of the decoded image in pixels; 0 means the browser could not decode it."""
        return int(self._page.run_script("return arguments[0].naturalWidth;", self._element()))

    @property
    def fingerprint(self) -> str:
        """A short digest of the pixels shown: a new image has a new fingerprint."""
        self.wait_until_shown()
        data_url = self._page.run_script(_PIXELS, self._element())
        return hashlib.sha256(data_url.encode()).hexdigest()[:16]

    @property
    def value(self) -> str:
        """What the answer field holds."""
        return self._page.find(self._field).get_attribute("value") or ""

    @property
    def status_text(self) -> str:
        """The polite live region the refresh button writes to (empty until it is used)."""
        return self._page.find(self._status).text

    @property
    def audio_state(self) -> str:
        """Where the audio button's playback is: "" (never pressed), "loading", "playing",
        "ended" or "error"."""
        return self._page.find(self._audio_button).get_attribute("data-audio-state") or ""

    @property
    def audio_label(self) -> str:
        """The audio button's accessible name."""
        return self._page.find(self._audio_button).get_attribute("aria-label") or ""

    @property
    def alt_text(self) -> str:
        """What the image says to screen-reader users."""
        return self._element().get_attribute("alt") or ""

    def audio_probe(self) -> dict[str, Any]:
        """The audio of the current challenge as this browser gets it: ``status``, ``type``,
        ``cacheControl``, ``bytes`` and the ``length`` (s) of the sound Chromium decodes from it.

        Asking counts against the site's captcha rate limit, like a press of the button.
        """
        return self._driver.execute_async_script(_PROBE_AUDIO, self._page.url_for(AUDIO_PATH))

    @property
    def answer(self) -> str:
        """The answer to the image shown now, read from the hook in the browser's own session.

        Waits for the image first: the challenge is made by the image request, so reading before
        it finished would return the previous challenge (or none).
        """
        self.wait_until_shown()
        url = self._page.url_for(HOOK_PATH)
        result = self._driver.execute_async_script(_FETCH_HOOK, url)
        status, body = result["status"], result["body"]
        if status == 404:
            raise CaptchaHookUnavailable(
                f"{url} answered 404: the captcha debug hook is off. Start the server with "
                "MEMBER_CAPTCHA_DEBUG_HOOK=1 (memberproj.test_settings turns it on)."
            )
        if status != 200:
            raise CaptchaHookUnavailable(f"{url} answered {status}: {body[:200]}")
        answer = json.loads(body).get("captcha")
        if not answer:
            raise CaptchaHookUnavailable(
                f"{url} says this session has no captcha challenge, though an image is shown."
            )
        return str(answer)

    # Actions.

    def wait_until_shown(self) -> Captcha:
        """Wait until the current image has loaded and decoded; raise if it is broken."""
        state = self._page.wait_until(
            lambda driver: (
                (s := driver.execute_script(_IMAGE_STATE, self._element())) != "loading" and s
            ),
            "the captcha image never finished loading",
        )
        if state == "broken":
            raise CaptchaImageBroken(self._why_broken())
        return self

    def fill(self, answer: str) -> Captcha:
        """Type ``answer`` into the field, replacing what it held."""
        self._page.replace_text(self._field, answer)
        return self

    def solve(self) -> Captcha:
        """Type the right answer for the image shown now."""
        return self.fill(self.answer)

    def refresh(self) -> Captcha:
        """Click the refresh button and wait until the new image is shown and announced.

        The page stays the same page: this waits for a new ``src`` and the status message, not for
        a navigation.
        """
        self.wait_until_shown()
        before = self.src
        self._page.find(self._refresh_button).click()
        self._page.wait_until(
            lambda _driver: (
                self.src != before
                and not self._page.find(self._refresh_button).get_attribute("disabled")
                and self.status_text
            ),
            "the refresh button never showed a new captcha image",
        )
        return self.wait_until_shown()

    def play_audio(self) -> Captcha:
        """Press the audio button and wait until the sound plays, has played, or failed.

        The page stays the same page: the button plays in place. ``audio_state`` and
        ``status_text`` say how it went.
        """
        self.wait_until_shown()  # the sound reads out the challenge the image request made
        self._page.find(self._audio_button).click()
        self._page.wait_until(
            lambda _driver: (
                self.audio_state in AUDIO_SETTLED
                and not self._page.find(self._audio_button).get_attribute("disabled")
            ),
            "the audio button never started, finished or failed playing",
        )
        return self

    def _why_broken(self) -> str:
        """What the server answers for a captcha image now, as the message of a failing test."""
        url = self._page.url_for(CAPTCHA_PATH)
        answer = self._driver.execute_async_script(_FETCH_STATUS, url)
        message = (
            f"The captcha image at {self.src} did not decode; {url} now answers "
            f"{answer['status']} {answer['type']}"
        )
        if answer["status"] == 429:
            message += (
                f" (Retry-After: {answer['retryAfter']}). The server limits captcha images per "
                "client address: start it with MEMBER_CAPTCHA_RATE_LIMIT=0 for browser test runs."
            )
        return message

    def _element(self) -> WebElement:
        return self._page.find(self._image)
