"""The audio captcha: how each character is spoken, its WAV, and GET /member/captcha/audio/."""

from __future__ import annotations

import io
import random
import re
import struct
import threading
import wave
from itertools import combinations
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client

from member import captcha, captcha_audio
from member.captcha_audio import MANDARIN_VOICE, Spoken
from member.tests.helpers import (
    CAPTCHA_URL,
    HOME_URL,
    LOGIN_URL,
    REGISTER_URL,
    element_by_id,
    expired_issue_time,
    new_captcha,
    plant_challenge,
    post_login,
    session_answer,
)

AUDIO_URL = "/member/captcha/audio/"
HEX = "0123456789ABCDEF"
LANGUAGES = ("zh-hant", "en")


def sound_key(phonemes: str) -> str:
    """What a listener can tell apart, from eSpeak's phonemes: no language switches, stress, tones,
    vowel length, pauses or syllable marks, and no leading glide (Mandarin 一 ``ji`` is heard as
    English "E" ``i:``). Two characters with one key would sound alike."""
    bare = re.sub(r"\([a-z-]+\)|[',:_|;\d\s]", "", phonemes)
    return bare[1:] if bare[:1] in {"j", "w"} else bare


def wav_of(data: bytes) -> wave.Wave_read:
    return wave.open(io.BytesIO(data), "rb")


def sound_length(data: bytes) -> float:
    with wav_of(data) as wav:
        return wav.getnframes() / wav.getframerate()


def chunk_ids(data: bytes) -> list[bytes]:
    """The RIFF chunk ids after the ``WAVE`` form type, e.g. ``[b"fmt ", b"data"]``."""
    ids, offset = [], 12
    while offset + 8 <= len(data):
        chunk_id, size = (
            data[offset : offset + 4],
            struct.unpack("<I", data[offset + 4 : offset + 8])[0],
        )
        ids.append(chunk_id)
        offset += 8 + size + size % 2
    return ids


# How each character is spoken


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_character_has_a_spoken_form_of_its_own(language: str) -> None:
    forms = [captcha_audio.spoken_form(character, language=language) for character in HEX]

    assert len(set(forms)) == 16


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_two_characters_give_the_same_phonemes(language: str) -> None:
    spoken = {character: captcha_audio.phonemes(character, language=language) for character in HEX}

    assert all(spoken.values()), spoken
    assert len(set(spoken.values())) == 16, spoken


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_two_characters_sound_alike(language: str) -> None:
    keys = {
        character: sound_key(captcha_audio.phonemes(character, language=language))
        for character in HEX
    }

    alike = [(a, b) for a, b in combinations(HEX, 2) if keys[a] == keys[b]]
    assert alike == [], keys


def test_the_sound_check_hears_mandarin_one_as_english_e() -> None:
    # The reason 1 is 幺 in Chinese: read as 一, it would be heard as the letter E.
    yi = captcha_audio.engine.phonemes("一", voice=MANDARIN_VOICE)
    letter_e = captcha_audio.phonemes("E", language="zh-hant")

    assert yi != letter_e
    assert sound_key(yi) == sound_key(letter_e)


def test_chinese_reads_digits_in_mandarin_one_as_yao_and_letters_by_their_english_names() -> None:
    forms = [captcha_audio.spoken_form(character, language="zh-hant") for character in HEX]

    assert [form.text for form in forms[:10]] == list("零幺二三四五六七八九")
    assert {form.voice for form in forms[:10]} == {MANDARIN_VOICE}
    assert forms[10:] == [Spoken("en-us", letter) for letter in "ABCDEF"]


def test_english_reads_digit_words_and_letter_names() -> None:
    forms = [captcha_audio.spoken_form(character, language="en") for character in "019AF"]

    assert [form.text for form in forms] == ["zero", "one", "nine", "A", "F"]
    assert {form.voice for form in forms} == {"en-us"}


def test_any_chinese_code_gets_the_chinese_table_and_others_the_english_one() -> None:
    assert captcha_audio.table("zh-hant") is captcha_audio.table("zh-TW")
    assert captcha_audio.table("en-us") is captcha_audio.table("fr")
    assert captcha_audio.table("zh-hant") is not captcha_audio.table("en")


def test_lower_case_is_spoken_like_upper_case() -> None:
    assert captcha_audio.spoken_form("b", language="en") == captcha_audio.spoken_form(
        "B", language="en"
    )


def test_a_character_outside_the_tables_is_read_as_written_in_english() -> None:
    assert captcha_audio.spoken_form("K", language="zh-hant") == Spoken("en-us", "K")


# The WAV


@pytest.mark.parametrize("language", LANGUAGES)
def test_audio_is_mono_16_bit_pcm_wav(language: str) -> None:
    data = captcha_audio.speak("3A9F1", language=language, rng=random.Random(1))

    with wav_of(data) as wav:
        assert wav.getnchannels() == 1
        assert wav.getsampwidth() == 2
        assert wav.getframerate() == captcha_audio.SAMPLE_RATE
        assert wav.getcomptype() == "NONE"
    assert 2.0 < sound_length(data) < 8.0


def test_audio_grows_with_the_answer() -> None:
    lengths = [
        sound_length(captcha_audio.speak(answer, language="en", rng=random.Random(2)))
        for answer in ("7", "7C", "7C2", "7C2E8")
    ]

    assert lengths == sorted(lengths)
    assert len(set(lengths)) == 4


def test_the_file_carries_nothing_but_sound() -> None:
    answer = "B4D0F"
    data = captcha_audio.speak(answer, language="en", rng=random.Random(3))

    assert data[:4] == b"RIFF" and data[8:12] == b"WAVE"
    assert chunk_ids(data) == [b"fmt ", b"data"]  # no LIST/INFO text chunk
    assert answer.encode() not in data
    assert answer.lower().encode() not in data


def test_each_character_gets_its_own_pitch_and_speed() -> None:
    with mock.patch.object(
        captcha_audio.engine, "synthesise", wraps=captcha_audio.engine.synthesise
    ) as synthesise:
        captcha_audio.speak("3A9F1C2E", language="en", rng=random.Random(4))

    pitches = [call.kwargs["pitch"] for call in synthesise.call_args_list]
    rates = [call.kwargs["rate"] for call in synthesise.call_args_list]
    low, high = captcha_audio.PITCH_RANGE
    assert all(low <= pitch <= high for pitch in pitches)
    low, high = captcha_audio.RATE_RANGE
    assert all(low <= rate <= high for rate in rates)
    assert len(set(pitches)) > 1 and len(set(rates)) > 1


def test_between_characters_it_is_quiet_but_never_digital_silence() -> None:
    data = captcha_audio.speak("5", language="en", rng=random.Random(6))
    with wav_of(data) as wav:
        frames = wav.readframes(int(captcha_audio.EDGE_PAUSE * wav.getframerate()))
    lead = struct.unpack(f"<{len(frames) // 2}h", frames)

    assert max(map(abs, lead)) <= 128
    assert any(lead)


def test_the_voice_is_at_least_half_as_loud_as_full_scale() -> None:
    data = captcha_audio.speak("0", language="zh-hant", rng=random.Random(7))
    with wav_of(data) as wav:
        frames = wav.readframes(wav.getnframes())
    samples = struct.unpack(f"<{len(frames) // 2}h", frames)

    assert 0.5 * 32767 < max(map(abs, samples)) < 0.8 * 32767


def test_chinese_and_english_audio_differ() -> None:
    zh = captcha_audio.speak("3A9F1", language="zh-hant", rng=random.Random(8))
    en = captcha_audio.speak("3A9F1", language="en", rng=random.Random(8))

    assert zh != en


def test_concurrent_requests_each_get_their_own_audio() -> None:
    # libespeak-ng keeps one global state: without the lock, threads would mix their samples
    # (or crash), and files would gain or lose whole characters (a character and its pause, over
    # half a second). The engine's output also varies a little with what it spoke before (up to
    # ~10 ms a character), so each file is compared by its length with the same answer spoken
    # alone, allowing that drift for each of its characters.
    answers = ["7", "0B", "C8D", "F5A9", "3A9F1", "0B4E7C", "C8D26F1", "F5A93B0E"]
    alone = [
        sound_length(captcha_audio.speak(answer, language="zh-hant", rng=random.Random(index)))
        for index, answer in enumerate(answers)
    ]
    together: dict[int, bytes] = {}
    start = threading.Barrier(len(answers))

    def run(index: int, answer: str) -> None:
        start.wait()
        together[index] = captcha_audio.speak(answer, language="zh-hant", rng=random.Random(index))

    threads = [threading.Thread(target=run, args=item) for item in enumerate(answers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    for index, answer in enumerate(answers):
        drift = 0.03 + 0.012 * len(answer)  # seconds: never near a whole character
        assert sound_length(together[index]) == pytest.approx(alone[index], abs=drift), answer


def test_the_engine_loads_every_voice_the_tables_use() -> None:
    captcha_audio.engine.check()  # raises SpeechUnavailable otherwise


# GET /member/captcha/audio/


@pytest.fixture
def empty_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


@pytest.mark.django_db
def test_audio_is_the_challenge_as_uncached_wav(client: Client) -> None:
    new_captcha(client)

    response = client.get(AUDIO_URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "audio/wav"
    assert "no-store" in response["Cache-Control"]
    assert sound_length(response.content) > 2.0


@pytest.mark.django_db
def test_audio_speaks_the_sessions_answer_in_the_page_language(client: Client) -> None:
    answer = new_captcha(client)

    with mock.patch.object(captcha_audio, "speak", wraps=captcha_audio.speak) as speak:
        client.get(AUDIO_URL)
        client.get(AUDIO_URL, headers={"accept-language": "en"})

    assert [(call.args, call.kwargs["language"]) for call in speak.call_args_list] == [
        ((answer,), "zh-hant"),
        ((answer,), "en"),
    ]


@pytest.mark.django_db
def test_audio_leaves_the_challenge_as_it_is(client: Client, member: Any) -> None:
    answer = new_captcha(client)

    for _ in range(3):
        assert client.get(AUDIO_URL).status_code == 200

    assert session_answer(client) == answer
    assert post_login(client, answer=answer)["Location"] == HOME_URL


@pytest.mark.django_db
def test_two_requests_for_one_challenge_never_get_the_same_file(client: Client) -> None:
    """Fresh variation each time: a recording cannot be matched to an earlier one."""
    new_captcha(client)

    first, second = client.get(AUDIO_URL), client.get(AUDIO_URL)

    assert first.status_code == second.status_code == 200
    assert first.content != second.content


@pytest.mark.django_db
def test_audio_headers_carry_no_answer(client: Client) -> None:
    answer = new_captcha(client)

    response = client.get(AUDIO_URL)

    assert all(answer not in value for value in response.headers.values())


@pytest.mark.django_db
def test_audio_without_a_challenge_is_a_plain_404(client: Client) -> None:
    chinese = client.get(AUDIO_URL)
    english = client.get(AUDIO_URL, headers={"accept-language": "en"})

    assert chinese.status_code == english.status_code == 404
    assert chinese["Content-Type"].startswith("text/plain")
    assert "驗證碼" in chinese.content.decode()
    assert "no captcha" in english.content.decode()
    assert session_answer(client) is None  # asking for the sound made no challenge


@pytest.mark.django_db
def test_audio_of_an_expired_challenge_is_a_404(client: Client) -> None:
    plant_challenge(client, issued_at=expired_issue_time())

    assert client.get(AUDIO_URL).status_code == 404
    assert session_answer(client) is None  # nor did it renew the expired one


@pytest.mark.django_db
def test_audio_answers_get_only(client: Client) -> None:
    new_captcha(client)

    assert client.post(AUDIO_URL).status_code == 405


@pytest.mark.django_db
def test_audio_and_images_share_one_rate_limit(
    client: Client, empty_cache: None, settings: Any
) -> None:
    settings.MEMBER_CAPTCHA_RATE_LIMIT = 3
    answer = new_captcha(client)
    allowed = [client.get(AUDIO_URL).status_code for _ in range(2)]

    refused_audio = client.get(AUDIO_URL)
    refused_image = client.get(CAPTCHA_URL)

    assert allowed == [200, 200]
    assert refused_audio.status_code == refused_image.status_code == 429
    assert 1 <= int(refused_audio["Retry-After"]) <= 60
    assert refused_audio["Content-Type"].startswith("text/plain")
    assert session_answer(client) == answer  # a refusal leaves the challenge alone


@pytest.mark.django_db
def test_audio_past_the_limit_is_refused_even_without_a_challenge(
    client: Client, empty_cache: None, settings: Any
) -> None:
    settings.MEMBER_CAPTCHA_RATE_LIMIT = 1
    client.get(AUDIO_URL)

    assert client.get(AUDIO_URL).status_code == 429


@pytest.mark.django_db
def test_audio_in_english_differs_from_chinese(client: Client) -> None:
    new_captcha(client)

    def seeded(answer: str, *, language: str) -> bytes:
        return captcha_audio.speak(answer, language=language, rng=random.Random(9))

    with mock.patch.object(captcha, "speak", seeded):
        chinese = client.get(AUDIO_URL).content
        english = client.get(AUDIO_URL, headers={"accept-language": "en"}).content

    assert chinese != english


# The button in every captcha row


@pytest.mark.django_db
@pytest.mark.parametrize("url", [LOGIN_URL, REGISTER_URL, "/member/password/reset/"])
def test_every_captcha_row_has_the_audio_button(client: Client, url: str) -> None:
    response = client.get(url)

    tag, button = element_by_id(response, "btn_captcha_audio")
    assert tag == "button"
    assert button["type"] == "button"  # plays in place, never submits the form
    assert button["aria-label"] == "收聽語音驗證碼"
    assert f'data-audio-url="{AUDIO_URL}"' in response.content.decode()
    assert "語音按鈕" in (element_by_id(response, "img_captcha")[1]["alt"] or "")


@pytest.mark.django_db
def test_the_image_tells_english_screen_readers_about_the_audio_button(client: Client) -> None:
    response = client.get(LOGIN_URL, headers={"accept-language": "en"})

    assert element_by_id(response, "btn_captcha_audio")[1]["aria-label"] == "Listen to the captcha"
    assert "audio button" in (element_by_id(response, "img_captcha")[1]["alt"] or "")


@pytest.mark.django_db
def test_the_page_may_play_the_sound_it_fetched(client: Client) -> None:
    policy = client.get(LOGIN_URL)["Content-Security-Policy"]

    assert "media-src 'self' blob:" in policy
