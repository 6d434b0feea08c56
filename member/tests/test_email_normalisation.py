"""One mailbox, one account: every spelling of an address is stored, compared and counted as one."""

from __future__ import annotations

import string
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from member.emails import normalise_email
from member.models import Member
from member.tests.helpers import REGISTER_URL, post_login, register_data
from qa.contract import EMAIL_TAKEN
from qa.factories import MemberFactory

KATE = "kate@kmail.example"
LOOKALIKES = [
    "kate@ｋｍａｉｌ.example",  # noqa: RUF001  (full-width, a Chinese input method's default)
    '"kate"@kmail.example',  # quoted local part
    "\u212aATE@Kmail.example",  # the Kelvin sign for the K
    "KATE@KMAIL.EXAMPLE.",  # letter case and the root dot
]


@pytest.mark.parametrize("spelling", LOOKALIKES)
def test_lookalikes_normalise_to_the_one_address(spelling: str) -> None:
    assert normalise_email(spelling) == KATE


def test_a_unicode_domain_and_its_punycode_are_one_address() -> None:
    assert normalise_email("kate@måil.example") == normalise_email("kate@xn--mil-ula.example")
    assert normalise_email("kate@ma\u030ail.example") == "kate@xn--mil-ula.example"


@pytest.mark.parametrize("bad", ["", "kate", "@kmail.example", 'ka"te"@x.example', "kate@-.x"])
def test_what_is_no_address_is_refused_with_a_message(bad: str) -> None:
    with pytest.raises(ValidationError):
        normalise_email(bad)


@pytest.mark.django_db
@pytest.mark.parametrize("spelling", [*LOOKALIKES[:3], "KATE@Kmail.Example", "kate@måil.example"])
def test_sign_up_with_a_lookalike_of_a_member_is_refused(
    spelling: str, fast_password_hasher: None
) -> None:
    existing = "kate@xn--mil-ula.example" if "å" in spelling else KATE
    Member.objects.create_user(existing, "kate-password-2026", username="Kate")
    client = Client(REMOTE_ADDR="198.51.100.9")

    response = client.post(REGISTER_URL, register_data(client, email=spelling))

    assert response.status_code == 200
    assert EMAIL_TAKEN in response.content.decode()
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_a_member_signs_in_with_any_spelling_of_the_address(fast_password_hasher: None) -> None:
    Member.objects.create_user(KATE, "kate-password-2026", username="Kate")

    for spelling in LOOKALIKES:
        client = Client()
        response = post_login(client, email=spelling, password="kate-password-2026")
        assert response.status_code == 302, spelling


@pytest.mark.django_db
def test_the_stored_address_is_the_normal_form(fast_password_hasher: None) -> None:
    member = Member.objects.create_user('"Kate"@ＫＭＡＩＬ.example', "pw-2026-kate", username="K")  # noqa: RUF001

    assert member.email == KATE


LOCAL = st.text(alphabet=string.ascii_letters + string.digits + "._-+", min_size=1, max_size=20)
LABEL = st.text(alphabet=string.ascii_lowercase + string.digits, min_size=1, max_size=12)


def addresses() -> st.SearchStrategy[str]:
    return st.builds(
        lambda local, labels: f"{local}@{'.'.join(labels)}.example",
        LOCAL.filter(lambda s: not s.startswith(".") and not s.endswith(".") and ".." not in s),
        st.lists(LABEL, min_size=1, max_size=3),
    )


def full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" and c != "@" else c for c in text)


@given(addresses())
def test_normalising_twice_changes_nothing(address: str) -> None:
    once = normalise_email(address)
    assert normalise_email(once) == once


@given(addresses())
def test_case_full_width_and_quotes_collapse_to_one_address(address: str) -> None:
    local, _, domain = address.partition("@")
    spellings = [address.upper(), full_width(address), f'"{local}"@{domain}']

    assert {normalise_email(spelling) for spelling in spellings} == {normalise_email(address)}


@given(addresses(), addresses())
def test_distinct_mailboxes_stay_distinct(first: str, second: str) -> None:
    if first.casefold() != second.casefold():
        assert normalise_email(first) != normalise_email(second)


@given(addresses())
def test_the_normal_form_is_nfkc_and_ascii_for_ascii_input(address: str) -> None:
    normal = normalise_email(address)
    assert normal == unicodedata.normalize("NFKC", normal)
    assert normal.isascii()


def test_sharp_s_domains_stay_two_mailboxes() -> None:
    # IDNA 2008: faß.de and fass.de are two registrable domains, so two people's mailboxes.
    assert normalise_email("kate@faß.de") == "kate@xn--fa-hia.de"
    assert normalise_email("kate@FASS.de") == "kate@fass.de"


@pytest.mark.parametrize("spelling", ["kate@km\u0430il.example", "kate@xn--kmil-63d.example"])
def test_a_domain_mixing_alphabets_is_refused_as_a_lookalike(spelling: str) -> None:
    with pytest.raises(ValidationError) as refused:
        normalise_email(spelling)

    assert refused.value.code == "lookalike"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hant", "這個電子郵件地址混用了外觀相似的不同字母系統"),
        ("en", "mixes letters from different alphabets that look alike"),
    ],
)
def test_sign_up_with_a_lookalike_domain_says_so_in_the_page_language(
    language: str, message: str, fast_password_hasher: None
) -> None:
    client = Client(headers={"accept-language": language})

    response = client.post(REGISTER_URL, register_data(client, email="kate@km\u0430il.example"))

    assert message in response.content.decode()
    assert not Member.objects.exists()


@pytest.mark.django_db
def test_factory_members_are_made_with_the_normal_email(fast_password_hasher: None) -> None:
    created = MemberFactory(email="KATE@Ｋmail.example")  # noqa: RUF001  (full-width K)
    built = MemberFactory.build(email='"Grace"@KMAIL.example')

    assert created.email == KATE
    assert built.email == "grace@kmail.example"
