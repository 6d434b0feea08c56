"""Bad input, property-tested: the login and sign-up views take anything a client can send.

Hypothesis drives the views through the test client with arbitrary field values (text with control
characters and mixed scripts, huge strings, empty values, repeated keys, raw bytes that are not
UTF-8). Whatever arrives: never a 5xx, never a sign-in without the right captcha and the right
credentials, never a member from an invalid form, never a redirect off the site.

The sign-in limits are raised here so every example reaches the form's own rules; the limits
themselves are test_throttle.py's subject.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote_from_bytes, urlencode, urlsplit

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpResponse
from django.test import Client
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from member import captcha
from member.forms import PASSWORD_MAX_LENGTH
from member.models import Member
from member.tests.helpers import (
    LOGIN_URL,
    REGISTER_URL,
    recording_password_work,
    signed_in_member_id,
)
from member.tests.helpers import MEMBER_EMAIL as EMAIL
from member.tests.helpers import MEMBER_PASSWORD as PASSWORD
from qa.contract import BAD_CREDENTIALS

URLENCODED = "application/x-www-form-urlencoded"

NEW_PASSWORD = "cobol-compiler-1959"

# Placeholders in generated data, filled in before the POST: the session's real answer, an email
# no member has yet, and whatever the first password field holds.
RIGHT_ANSWER = "<right answer>"
NEW_EMAIL = "<new email>"
SAME_PASSWORD = "<same password>"

PROPERTY = hypothesis_settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
RAW_PROPERTY = hypothesis_settings(PROPERTY, max_examples=60)
NEW_EMAIL_NUMBERS = itertools.count()

pytestmark = pytest.mark.django_db


# Strategies

MIXED_SCRIPTS = (
    "aZ9@.+-_ 中文測試العربيةРусскийΩßİıﬁ\u00e9e\u0301\u200b\u200d\u202e\ufeff\U0001f600"
)
CONTROL = "".join(chr(code) for code in [*range(32), 127, *range(0x80, 0xA0)])

plain_text = st.text(max_size=60)
mixed_text = st.text(alphabet=MIXED_SCRIPTS + CONTROL, max_size=60)
huge_text = st.builds(
    lambda unit, times: unit * times,
    st.text(alphabet=MIXED_SCRIPTS + CONTROL, min_size=1, max_size=3),
    st.sampled_from([300, 1025, 5000, 70_000]),
)
any_text = st.one_of(st.just(""), plain_text, mixed_text, huge_text)


def field(*specials: str) -> st.SearchStrategy[Any]:
    """A form value: missing, one text (often a special one), or the key repeated."""
    one = st.one_of(st.sampled_from(specials), any_text) if specials else any_text
    return st.one_of(st.none(), one, one, one, st.lists(one, min_size=2, max_size=4))


def mostly(right: str, *specials: str) -> st.SearchStrategy[Any]:
    """Half the time the right value, so whole forms are often right and sign-ins happen."""
    return st.booleans().flatmap(lambda keep: st.just(right) if keep else field(*specials))


email_spellings = [EMAIL.upper(), f" {EMAIL}\t", "Ada@Example.COM"]
answer_spellings = [f" {RIGHT_ANSWER} ", "right-lower"]

login_forms = st.fixed_dictionaries(
    {
        "useremail": mostly(EMAIL, *email_spellings),
        "userpassword": mostly(PASSWORD, f" {PASSWORD}", PASSWORD.upper()),
        "captcha": mostly(RIGHT_ANSWER, *answer_spellings),
        "rememberme": field("on"),
        "next": field("/member/", "//evil.example/", "https://evil.example/", "/\\evil.example"),
        "csrfmiddlewaretoken": field(),
    }
)

register_forms = st.fixed_dictionaries(
    {
        "username": mostly("Grace Hopper"),
        "useremail": st.one_of(mostly(NEW_EMAIL, EMAIL, EMAIL.upper()), st.emails()),
        "userpassword": mostly(NEW_PASSWORD, "short", "12345678901", "Grace Hopper"),
        "userpassword2": mostly(SAME_PASSWORD, NEW_PASSWORD),
        "captcha": mostly(RIGHT_ANSWER, *answer_spellings),
    }
)

raw_bodies = st.one_of(
    st.binary(max_size=300),
    st.lists(
        st.tuples(
            st.sampled_from(
                [b"useremail", b"userpassword", b"userpassword2", b"username", b"captcha"]
            )
            | st.binary(max_size=8),
            st.binary(max_size=40),
            st.booleans(),
        ),
        max_size=8,
    ).map(
        lambda pairs: b"&".join(
            key + b"=" + (quote_from_bytes(value).encode() if quoted else value)
            for key, value, quoted in pairs
        )
    ),
)


# Helpers


@dataclass(frozen=True)
class Sent:
    """What the server receives for one field: the last value of a repeated key, as Django does."""

    value: str | None

    @classmethod
    def of(cls, data: dict[str, Any], name: str) -> Sent:
        raw = data.get(name)
        return cls(raw[-1] if isinstance(raw, list) else raw)


def client_with_challenge() -> tuple[Client, str]:
    """A new visitor whose session holds a challenge, as after loading the captcha image."""
    client = Client()
    session = client.session
    answer = captcha.make_challenge(session)
    session.save()
    return client, answer


def filled_in(data: dict[str, Any], answer: str) -> dict[str, Any]:
    """The generated form with its placeholders filled in and missing fields left out."""
    new_email = f"new-{next(NEW_EMAIL_NUMBERS)}@example.com"

    def fill(value: Any) -> Any:
        if isinstance(value, list):
            return [fill(item) for item in value]
        if value == SAME_PASSWORD:
            return data.get("userpassword")
        if isinstance(value, str):
            value = value.replace(RIGHT_ANSWER, answer).replace("right-lower", answer.lower())
            return value.replace(NEW_EMAIL, new_email)
        return value

    filled = {name: fill(value) for name, value in data.items()}
    return {name: value for name, value in filled.items() if value is not None}


def post(client: Client, url: str, data: dict[str, Any], *, urlencoded: bool) -> HttpResponse:
    if urlencoded:
        return client.post(url, urlencode(data, doseq=True), content_type=URLENCODED)
    return client.post(url, data)


def body_size(data: dict[str, Any], *, urlencoded: bool) -> int:
    """The bytes Django holds the form to DATA_UPLOAD_MAX_MEMORY_SIZE with (about, in multipart)."""
    if urlencoded:
        return len(urlencode(data, doseq=True))
    values = [(name, value) for name, raw in data.items() for value in listed(raw)]
    return sum(len(name) + len(value.encode()) for name, value in values)


def is_oversized(data: dict[str, Any], *, urlencoded: bool) -> bool:
    """Near or over DATA_UPLOAD_MAX_MEMORY_SIZE, which Django answers with 400."""
    limit = django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return body_size(data, urlencoded=urlencoded) > limit * 0.9


def listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def redirect_stays_on_site(response: HttpResponse) -> bool:
    """No scheme and no host in ``Location`` as a browser reads it.

    WHATWG URL parsing strips leading and trailing C0 controls and spaces, drops tabs and newlines
    anywhere and reads a backslash as a slash (``/\\evil.example`` is ``//evil.example``).
    """
    if response.status_code not in (301, 302, 303, 307, 308):
        return True
    location = response["Location"].strip("".join(map(chr, range(0x21))))
    for dropped in "\t\n\r":
        location = location.replace(dropped, "")
    target = urlsplit(location.replace("\\", "/"))
    return not target.scheme and not target.netloc


def solves(answer_sent: Sent, answer: str) -> bool:
    return answer_sent.value is not None and answer_sent.value.strip().upper() == answer


def passes_password_rules(password: str, *, email: str, username: str) -> bool:
    try:
        password_validation.validate_password(password, Member(email=email, username=username))
    except ValidationError:
        return False
    return True


def is_valid_email(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


@pytest.fixture
def unthrottled_member(member: Member, settings: Any) -> Member:
    """The member, with limits no property run reaches (hundreds of examples per test)."""
    settings.MEMBER_LOGIN_FAILURES_PER_ACCOUNT = 10**9
    settings.MEMBER_LOGIN_FAILURES_PER_CLIENT = 10**9
    return member


# Login


@PROPERTY
@given(data=login_forms, urlencoded=st.booleans())
def test_login_signs_in_only_with_right_captcha_and_right_credentials(
    unthrottled_member: Member, data: dict[str, Any], urlencoded: bool
) -> None:
    client, answer = client_with_challenge()
    data = filled_in(data, answer)
    members_before = Member.objects.count()

    response = post(client, LOGIN_URL, data, urlencoded=urlencoded)

    assert response.status_code < 500
    assert response.status_code in (200, 302, 400), response.status_code
    assert Member.objects.count() == members_before
    assert redirect_stays_on_site(response), response["Location"]
    email, password = Sent.of(data, "useremail"), Sent.of(data, "userpassword")
    right_credentials = (
        email.value is not None
        and email.value.strip().lower() == EMAIL
        and password.value == PASSWORD
    )
    right_captcha = solves(Sent.of(data, "captcha"), answer)
    event(f"status {response.status_code}, signed in: {signed_in_member_id(client) is not None}")
    if signed_in_member_id(client) is not None:
        assert right_captcha, data
        assert right_credentials, data
        assert signed_in_member_id(client) == str(unthrottled_member.pk)
    elif response.status_code == 400:
        assert is_oversized(data, urlencoded=urlencoded), "400 for a small body"
    elif right_captcha and data.get("useremail") == EMAIL and data.get("userpassword") == PASSWORD:
        pytest.fail(f"the right captcha and credentials did not sign in: {response.status_code}")


@RAW_PROPERTY
@given(body=raw_bodies)
def test_login_survives_any_raw_body(unthrottled_member: Member, body: bytes) -> None:
    client, _ = client_with_challenge()

    response = client.generic("POST", LOGIN_URL, data=body, content_type=URLENCODED)

    event(f"status {response.status_code}")
    assert response.status_code in (200, 400), response.status_code
    assert signed_in_member_id(client) is None


@RAW_PROPERTY
@given(body=raw_bodies, charset=st.sampled_from(["", "; charset=latin-1", "; charset=x-bogus"]))
def test_login_survives_any_declared_charset(
    unthrottled_member: Member, body: bytes, charset: str
) -> None:
    client, _ = client_with_challenge()

    response = client.generic("POST", LOGIN_URL, data=body, content_type=URLENCODED + charset)

    assert response.status_code in (200, 400), response.status_code
    assert signed_in_member_id(client) is None


def test_login_with_right_fields_as_raw_bytes_signs_in(unthrottled_member: Member) -> None:
    """The raw-body route works at all: the same bytes with the right values do sign in."""
    client, answer = client_with_challenge()
    body = urlencode({"useremail": EMAIL, "userpassword": PASSWORD, "captcha": answer}).encode()

    response = client.generic("POST", LOGIN_URL, data=body, content_type=URLENCODED)

    assert response.status_code == 302
    assert signed_in_member_id(client) == str(unthrottled_member.pk)


# Sign-up


@PROPERTY
@given(data=register_forms, urlencoded=st.booleans())
def test_sign_up_creates_a_member_only_from_a_valid_form(
    unthrottled_member: Member, data: dict[str, Any], urlencoded: bool
) -> None:
    client, answer = client_with_challenge()
    data = filled_in(data, answer)
    before = set(Member.objects.values_list("pk", flat=True))

    response = post(client, REGISTER_URL, data, urlencoded=urlencoded)

    assert response.status_code < 500
    assert response.status_code in (200, 302, 400), response.status_code
    if response.status_code == 400:
        assert is_oversized(data, urlencoded=urlencoded), "400 for a small body"
    created = Member.objects.exclude(pk__in=before)
    assert created.count() <= 1
    event(f"status {response.status_code}, member created: {created.exists()}")
    if not created:
        assert signed_in_member_id(client) is None
        assert response.status_code != 302
        return
    new = created.get()
    username, email = Sent.of(data, "username"), Sent.of(data, "useremail")
    password, password2 = Sent.of(data, "userpassword"), Sent.of(data, "userpassword2")
    assert solves(Sent.of(data, "captcha"), answer), data
    assert password.value is not None and password.value == password2.value, data
    assert len(password.value) <= PASSWORD_MAX_LENGTH
    assert new.check_password(password.value)
    assert email.value is not None and is_valid_email(email.value.strip()), data
    assert new.email.lower() == email.value.strip().lower()
    assert username.value is not None and new.username == username.value.strip() != ""
    assert "\x00" not in new.username
    assert passes_password_rules(password.value, email=new.email, username=new.username)
    assert signed_in_member_id(client) == str(new.pk)
    assert response.status_code == 302


@RAW_PROPERTY
@given(body=raw_bodies)
def test_sign_up_survives_any_raw_body(unthrottled_member: Member, body: bytes) -> None:
    client, _ = client_with_challenge()
    members_before = Member.objects.count()

    response = client.generic("POST", REGISTER_URL, data=body, content_type=URLENCODED)

    assert response.status_code in (200, 400), response.status_code
    assert Member.objects.count() == members_before
    assert signed_in_member_id(client) is None


def test_sign_up_with_a_valid_form_creates_the_member(unthrottled_member: Member) -> None:
    """The property's other half on one known example: a valid form does create a member."""
    client, answer = client_with_challenge()
    data = {
        "username": "Grace Hopper",
        "useremail": "grace@example.com",
        "userpassword": NEW_PASSWORD,
        "userpassword2": NEW_PASSWORD,
        "captcha": answer,
    }

    response = post(client, REGISTER_URL, data, urlencoded=True)

    assert response.status_code == 302
    assert Member.objects.filter(email="grace@example.com").exists()


# Huge passwords: refused by the form's bound before any hashing


@pytest.fixture
def argon2_member(db: None) -> Member:
    """A member hashed with the real, first-configured Argon2 hasher."""
    return Member.objects.create_user(EMAIL, PASSWORD, username="Ada Lovelace")


@pytest.mark.parametrize("email", [EMAIL, "nobody@example.com"], ids=["member", "unknown"])
def test_two_megabyte_password_is_refused_without_hashing(
    argon2_member: Member, email: str
) -> None:
    client, answer = client_with_challenge()
    huge = "p" * (2 * 1024 * 1024)
    data = {"useremail": email, "userpassword": huge, "captcha": answer}

    with recording_password_work() as work:
        started = time.perf_counter()
        response = post(client, LOGIN_URL, data, urlencoded=True)
        elapsed = time.perf_counter() - started

    print(f"2 MB password refused in {elapsed * 1000:.0f} ms")
    assert response.status_code == 200
    assert BAD_CREDENTIALS in response.content.decode()
    assert signed_in_member_id(client) is None
    assert work.hashes == 0


def test_two_megabyte_password_is_refused_at_sign_up_without_hashing(argon2_member: Member) -> None:
    client, answer = client_with_challenge()
    huge = "p" * (2 * 1024 * 1024)
    data = {
        "username": "Grace",
        "useremail": "grace@example.com",
        "userpassword": huge,
        # Both fields this long would pass DATA_UPLOAD_MAX_MEMORY_SIZE (a 400, tested below).
        "userpassword2": "p",
        "captcha": answer,
    }

    with recording_password_work() as work:
        response = post(client, REGISTER_URL, data, urlencoded=True)

    assert response.status_code == 200
    assert not Member.objects.filter(email="grace@example.com").exists()
    assert work.hashes == 0


@pytest.mark.parametrize(
    ("length", "hashes"), [(PASSWORD_MAX_LENGTH, 1), (PASSWORD_MAX_LENGTH + 1, 0)]
)
def test_password_bound_is_1024_characters(
    unthrottled_member: Member, length: int, hashes: int
) -> None:
    client, answer = client_with_challenge()
    data = {"useremail": EMAIL, "userpassword": "p" * length, "captcha": answer}

    with recording_password_work() as work:
        response = post(client, LOGIN_URL, data, urlencoded=True)

    assert response.status_code == 200
    assert BAD_CREDENTIALS in response.content.decode()
    assert work.hashes == hashes


@pytest.mark.parametrize("urlencoded", [True, False], ids=["urlencoded", "multipart"])
def test_body_over_the_upload_limit_is_a_400_not_a_500(
    unthrottled_member: Member, urlencoded: bool
) -> None:
    client, answer = client_with_challenge()
    data = {"useremail": EMAIL, "userpassword": "p" * (3 * 1024 * 1024), "captcha": answer}

    with recording_password_work() as work:
        response = post(client, LOGIN_URL, data, urlencoded=urlencoded)

    assert response.status_code == 400
    assert signed_in_member_id(client) is None
    assert work.hashes == 0


def test_more_fields_than_django_accepts_is_a_400_not_a_500(unthrottled_member: Member) -> None:
    client, answer = client_with_challenge()
    body = "&".join(["captcha=" + answer] + [f"f{number}=x" for number in range(1500)])

    response = client.generic("POST", LOGIN_URL, data=body.encode(), content_type=URLENCODED)

    assert response.status_code == 400
    assert signed_in_member_id(client) is None
