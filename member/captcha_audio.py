"""The audio captcha: a challenge's answer spoken character by character, as a WAV file.

Pure apart from the speech engine: ``speak(answer, language=…, rng=…)`` returns the bytes of a
16-bit mono PCM WAV, made offline by eSpeak NG (libespeak-ng and its voice data, bundled by the
``espeakng-loader`` wheel and called through ``ctypes``: no system binary, no subprocess).

What each character becomes is a table per page language (``SPOKEN``), chosen so that no two of
the 16 default characters sound alike:

- ``zh-hant``: digits in Mandarin, except 1 as 幺 (yāo) rather than 一 (yī), because the letters
  are read by their English names, as people in Taiwan read them, and English "E" is Mandarin 一
  all but exactly (eSpeak NG's phonemes ``'i:`` and ``j'i55``). 幺 is how Mandarin speakers
  already say "one" in a string of digits where 一 could be misheard (Taiwan's military and
  police radio, room and phone numbers), so it is understood without being taught. The letters
  use the English voice: the Mandarin voice would switch to English for them anyway.
- ``en``: digit words and letter names, all with the American English voice.

The tests check the promise on the engine's own phonemes, not only on the spelled text.

Each character gets its own light variation (pitch, speed, loudness) and the pauses between them
vary a little; a faint noise floor runs underneath. It changes what a recording looks like from
one request to the next without making it harder to follow.

Nothing in the file carries the answer as text: Python's ``wave`` writes only the ``fmt`` and
``data`` chunks. libespeak-ng keeps global state and is not thread-safe, so every call into it
holds one lock.
"""

from __future__ import annotations

import ctypes
import io
import random
import threading
import wave
from array import array
from dataclasses import dataclass

import espeakng_loader

SAMPLE_RATE = 22050  # Hz: what eSpeak NG's voices produce; the WAV keeps it (no resampling)
SAMPLE_WIDTH = 2  # bytes: 16-bit signed PCM
FULL_SCALE = 32767

# Light variation per character, within ranges that keep every voice natural.
PITCH_RANGE = (40, 60)  # eSpeak's base pitch, 0-100 (voice default 50)
RATE_RANGE = (145, 165)  # words per minute (eSpeak's default 175: a little slower for clarity)
PEAK_RANGE = (0.55, 0.75)  # each character's loudest sample, as a fraction of full scale
PAUSE_RANGE = (0.35, 0.5)  # seconds of quiet between two characters
EDGE_PAUSE = 0.25  # seconds of quiet before the first character and after the last

ENGLISH_VOICE = "en-us"
MANDARIN_VOICE = "cmn"


@dataclass(frozen=True)
class Spoken:
    """What one character is spoken as: ``text`` read by eSpeak NG's voice ``voice``."""

    voice: str
    text: str


_LETTERS = {letter: Spoken(ENGLISH_VOICE, letter) for letter in "ABCDEF"}

SPOKEN: dict[str, dict[str, Spoken]] = {
    "zh-hant": {
        **{
            digit: Spoken(MANDARIN_VOICE, word)
            for digit, word in zip("0123456789", "零幺二三四五六七八九", strict=True)
        },
        **_LETTERS,
    },
    "en": {
        **{
            digit: Spoken(ENGLISH_VOICE, word)
            for digit, word in zip(
                "0123456789",
                ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"),
                strict=True,
            )
        },
        **_LETTERS,
    },
}


class SpeechUnavailable(RuntimeError):
    """libespeak-ng or its voice data could not be loaded."""


def table(language: str) -> dict[str, Spoken]:
    """The spoken forms for a page language: Chinese for any ``zh`` code, English otherwise."""
    return SPOKEN["zh-hant"] if language.lower().startswith("zh") else SPOKEN["en"]


def spoken_form(character: str, *, language: str) -> Spoken:
    """How ``character`` is spoken in ``language``.

    A character outside the table (an alphabet changed in the settings) is read as written by the
    English voice, which names any Latin letter or digit.
    """
    return table(language).get(character.upper(), Spoken(ENGLISH_VOICE, character))


def speak(answer: str, *, language: str, rng: random.Random) -> bytes:
    """The WAV of ``answer`` spoken character by character in ``language``.

    ``rng`` draws the variation (``secrets.SystemRandom()`` in the product, a seeded
    ``random.Random`` in tests).
    """
    # Every variation is drawn before any noise: the noise takes as many draws as the engine gave
    # samples, which differs by a few from call to call, and a seeded generator should still give
    # the same pitches, speeds and pauses.
    takes = [
        _Take(
            spoken=spoken_form(character, language=language),
            pause_before=rng.uniform(*PAUSE_RANGE) if index else EDGE_PAUSE,
            pitch=rng.randint(*PITCH_RANGE),
            rate=rng.randint(*RATE_RANGE),
            peak=rng.uniform(*PEAK_RANGE),
        )
        for index, character in enumerate(answer)
    ]
    samples = array("h")
    for take in takes:
        samples.extend(_quiet(take.pause_before, rng))
        voice = engine.synthesise(
            take.spoken.text, voice=take.spoken.voice, pitch=take.pitch, rate=take.rate
        )
        samples.extend(_voiced(voice, take.peak, rng))
    samples.extend(_quiet(EDGE_PAUSE, rng))
    return _wav(samples)


@dataclass(frozen=True)
class _Take:
    """One character as it is spoken this time."""

    spoken: Spoken
    pause_before: float  # seconds
    pitch: int
    rate: int
    peak: float


def phonemes(character: str, *, language: str) -> str:
    """The engine's phonemes (eSpeak's ASCII notation) for ``character`` spoken in ``language``."""
    spoken = spoken_form(character, language=language)
    return engine.phonemes(spoken.text, voice=spoken.voice)


# The noise floor under everything: signed bytes straight from the generator are white noise of
# at most +-128 in 16-bit samples (about -48 dBFS), a faint hiss that is never digital silence.


def _quiet(seconds: float, rng: random.Random) -> array:
    """``seconds`` of the noise floor alone."""
    return array("h", array("b", rng.randbytes(int(seconds * SAMPLE_RATE))))


def _voiced(samples: array, fraction: float, rng: random.Random) -> array:
    """``samples`` over the noise floor, scaled so the loudest is ``fraction`` of full scale.

    The voices differ in loudness (Mandarin peaks near clipping, English at 40-70 % of full
    scale, and characters within one voice by up to a factor of three); people should not hear
    that. Peaks stay
    below 0.75 of full scale, so the noise cannot overflow a sample. One pass for both: it is
    most of the time a request takes.
    """
    peak = max(map(abs, samples), default=0)
    gain = fraction * FULL_SCALE / peak if peak else 0.0
    noise = array("b", rng.randbytes(len(samples)))
    return array(
        "h", [int(sample * gain) + hiss for sample, hiss in zip(samples, noise, strict=True)]
    )


def _wav(samples: array) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(samples.tobytes())
    return buffer.getvalue()


# libespeak-ng's C interface (speak_lib.h), the parts used here.
_AUDIO_OUTPUT_SYNCHRONOUS = 2  # synthesise inside espeak_Synth(), handing samples to the callback
_INITIALIZE_DONT_EXIT = 0x8000  # report a missing voice file instead of exiting the process
_CHARS_UTF8 = 1
_PARAMETER_RATE = 1
_PARAMETER_PITCH = 3
_EE_OK = 0
_SynthCallback = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)


class _Engine:
    """One process-wide libespeak-ng, loaded on first use; every call holds ``_lock``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._library: ctypes.CDLL | None = None
        self._chunks: list[bytes] = []
        # Kept on the instance: C holds only a pointer, the Python object must outlive it.
        self._callback = _SynthCallback(self._collect)

    def synthesise(self, text: str, *, voice: str, pitch: int, rate: int) -> array:
        """16-bit samples at ``SAMPLE_RATE`` of ``text`` read by ``voice``."""
        encoded = text.encode()
        with self._lock:
            library = self._load()
            self._use_voice(library, voice)
            library.espeak_SetParameter(_PARAMETER_PITCH, pitch, 0)
            library.espeak_SetParameter(_PARAMETER_RATE, rate, 0)
            self._chunks = []
            status = library.espeak_Synth(
                encoded, len(encoded) + 1, 0, 0, 0, _CHARS_UTF8, None, None
            )
            chunks, self._chunks = self._chunks, []
        if status != _EE_OK:
            raise SpeechUnavailable(f"eSpeak NG could not synthesise (error {status}).")
        return array("h", b"".join(chunks))

    def phonemes(self, text: str, *, voice: str) -> str:
        with self._lock:
            library = self._load()
            self._use_voice(library, voice)
            pointer = ctypes.c_char_p(text.encode())
            parts = []
            while pointer.value:  # the engine moves the pointer past each clause it translated
                parts.append(library.espeak_TextToPhonemes(ctypes.byref(pointer), _CHARS_UTF8, 0))
        return " ".join(part.decode() for part in parts if part).strip()

    def check(self) -> None:
        """Load the library and every voice the tables use; raise ``SpeechUnavailable`` if not."""
        with self._lock:
            library = self._load()
            for voice in {spoken.voice for forms in SPOKEN.values() for spoken in forms.values()}:
                self._use_voice(library, voice)

    def _collect(self, samples: ctypes.Array, count: int, _events: int) -> int:
        if count > 0:
            self._chunks.append(ctypes.string_at(samples, count * SAMPLE_WIDTH))
        return 0  # 0: go on synthesising

    def _load(self) -> ctypes.CDLL:
        if self._library is not None:
            return self._library
        try:
            library = ctypes.CDLL(espeakng_loader.get_library_path())
            data_path = espeakng_loader.get_data_path()
        except (OSError, RuntimeError) as error:
            raise SpeechUnavailable(f"libespeak-ng could not be loaded: {error}") from error
        library.espeak_Initialize.argtypes = [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int,
        ]
        library.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        library.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        library.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        library.espeak_TextToPhonemes.restype = ctypes.c_char_p
        library.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_char_p),
            ctypes.c_int,
            ctypes.c_int,
        ]
        rate = library.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), _INITIALIZE_DONT_EXIT
        )
        if rate != SAMPLE_RATE:
            raise SpeechUnavailable(
                f"libespeak-ng did not start (it answered {rate}, not {SAMPLE_RATE} Hz)."
            )
        library.espeak_SetSynthCallback(self._callback)
        self._library = library
        return library

    @staticmethod
    def _use_voice(library: ctypes.CDLL, voice: str) -> None:
        status = library.espeak_SetVoiceByName(voice.encode())
        if status != _EE_OK:
            raise SpeechUnavailable(f"eSpeak NG has no voice {voice!r} (error {status}).")


engine = _Engine()
