"""Staff answer "why is this person blocked?" in the admin, in a real browser, in both languages."""

from __future__ import annotations

import pytest
from django.test import Client

from member.tests.helpers import post_login
from qa.fixtures.options import using_base_url
from qa.pages import AdminLimitsPage, LoginPage

pytestmark = pytest.mark.e2e

STAFF_PASSWORD = "staff-Passw0rd-2026!"
LANGUAGES = {"zh-hant": "已解除 1 項限制", "en": "Lifted 1 limit."}


@pytest.fixture(params=list(LANGUAGES))
def staff_browser(request, site_url):
    """A browser signed in as a superuser, reading the site in each language."""
    if using_base_url(request.config):
        pytest.skip("a staff member needs the test server's database")
    from qa.factories import MemberFactory

    staff = MemberFactory(password=STAFF_PASSWORD, staff=True, is_superuser=True)
    driver = request.getfixturevalue("browser" if request.param == "zh-hant" else "english_browser")
    LoginPage(driver, site_url).open().login_as(staff.email, STAFF_PASSWORD)
    return request.param, driver


def test_staff_see_a_lockout_and_lift_it(staff_browser, site_url, make_member):
    language, driver = staff_browser
    owner = make_member()
    attacker = Client(REMOTE_ADDR="198.51.100.7")
    for _ in range(10):
        post_login(attacker, email=owner.email, password="not-the-password")

    page = AdminLimitsPage(driver, site_url).open(email=owner.email.upper())

    assert page.limits["account"] == (10, 10, True)
    lifted = page.lift()
    assert lifted.admin_messages == [LANGUAGES[language]]
    assert lifted.limits["account"] == (0, 10, False)
    assert post_login(Client(), email=owner.email, password=owner.password).status_code == 302
