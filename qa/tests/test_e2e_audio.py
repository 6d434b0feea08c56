"""The audio captcha as a visitor meets it: a button in the captcha row that plays the challenge
in place, in the page's language, and a sign-in with what it said.

What the sound says is checked where it is made (member/tests/test_captcha_audio.py: the spoken
form of every character and that no two sound alike); here, that Chromium fetches it, decodes it
and plays it without an error, for the session's current challenge, and that it leaves that
challenge as it was, so the answer heard signs in.
"""

from __future__ import annotations

import pytest

from member import captcha_audio, ratelimit
from qa.contract import AUDIO_BUTTON_NAME, AUDIO_PLAYING, AUDIO_RATE_LIMITED, SIGNED_IN
from qa.fixtures.options import using_base_url
from qa.pages import LoginPage

pytestmark = pytest.mark.e2e

PLAYING_EN = "Playing the audio captcha."


def sound_length_range(answer: str, *, language: str) -> tuple[float, float]:
    """How long ``answer`` spoken in ``language`` can last: each character's spoken form at the
    slowest and fastest speed, the pauses at their shortest and longest, 5 % either way for
    pitch."""
    rate = captcha_audio.SAMPLE_RATE
    low_rate, high_rate = captcha_audio.RATE_RANGE
    shortest = longest = 2 * captcha_audio.EDGE_PAUSE
    for character in answer:
        spoken = captcha_audio.spoken_form(character, language=language)
        for speed in (low_rate, high_rate):
            samples = len(
                captcha_audio.engine.synthesise(
                    spoken.text, voice=spoken.voice, pitch=50, rate=speed
                )
            )
            if speed == high_rate:
                shortest += samples / rate
            else:
                longest += samples / rate
    low_pause, high_pause = captcha_audio.PAUSE_RANGE
    shortest += (len(answer) - 1) * low_pause
    longest += (len(answer) - 1) * high_pause
    return 0.95 * shortest, 1.05 * longest


def test_sign_in_with_the_answer_the_audio_button_plays(login_page, site_member):
    answer = login_page.captcha.answer
    login_page.mark_document("before audio")

    captcha = login_page.captcha.play_audio()

    assert login_page.document_mark == "before audio"  # played in place: no navigation
    assert captcha.audio_state in {"playing", "ended"}
    assert captcha.status_text == AUDIO_PLAYING
    sound = captcha.audio_probe()
    assert (sound["status"], sound["type"]) == (200, "audio/wav")
    assert "no-store" in sound["cacheControl"]
    # Chromium decodes it, and it lasts as long as this answer's spoken forms do.
    shortest, longest = sound_length_range(answer, language="zh-hant")
    assert shortest <= sound["length"] <= longest
    assert captcha.answer == answer  # the audio read out the challenge and left it alone

    home = login_page.login_as(site_member.email, site_member.password)

    assert site_member.username in home.greeting
    assert SIGNED_IN in home.messages


def test_the_audio_button_is_named_and_the_image_points_to_it(login_page):
    assert login_page.captcha.audio_label == AUDIO_BUTTON_NAME
    assert "語音按鈕" in login_page.captcha.alt_text


def test_english_pages_play_the_audio_in_english(english_browser, site_url):
    page = LoginPage(english_browser, site_url).open()

    captcha = page.captcha.play_audio()

    assert captcha.audio_state in {"playing", "ended"}
    assert captcha.status_text == PLAYING_EN
    assert captcha.audio_label == "Listen to the captcha"


def test_after_refresh_the_audio_reads_the_new_challenge(login_page, site_member):
    old_answer = login_page.captcha.answer
    captcha = login_page.captcha.refresh()
    new_answer = captcha.answer

    captcha.play_audio()

    assert captcha.audio_state in {"playing", "ended"}
    assert new_answer != old_answer
    assert captcha.answer == new_answer
    home = login_page.login_as(site_member.email, site_member.password)
    assert site_member.username in home.greeting


def test_sign_up_page_plays_the_audio_too(register_page):
    captcha = register_page.captcha.play_audio()

    assert captcha.audio_state in {"playing", "ended"}


@pytest.fixture
def audio_limit_of_one(settings, pytestconfig):
    """The live server allows one captcha image or audio per minute from now on; the counters are
    forgotten afterwards, so no later test starts past a limit."""
    if using_base_url(pytestconfig):
        pytest.skip("sets the live server's rate limit")
    settings.MEMBER_CAPTCHA_RATE_LIMIT = 1
    yield
    ratelimit.reset_all()


@pytest.mark.expect_browser_errors(r"/member/captcha/audio/ answered 429")
def test_past_the_rate_limit_the_audio_button_says_so(login_page, audio_limit_of_one):
    captcha = login_page.captcha.play_audio()
    assert captcha.audio_state in {"playing", "ended"}

    captcha.play_audio()

    assert captcha.audio_state == "error"
    assert captcha.status_text == AUDIO_RATE_LIMITED
