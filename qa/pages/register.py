"""The sign-up page, ``/member/register/``."""

from __future__ import annotations

from selenium.webdriver.common.by import By

from qa.pages.form import CaptchaFormPage
from qa.pages.home import MemberHomePage


class RegisterPage(CaptchaFormPage):
    """Name, email, password twice and captcha; a new member is signed in straight away."""

    path = "/member/register/"

    _root = (By.ID, "register_form")
    _username = (By.NAME, "username")
    _password2 = (By.NAME, "userpassword2")

    def fill(
        self,
        username: str,
        email: str,
        password: str,
        *,
        password2: str | None = None,
        captcha: str | None = None,
    ) -> RegisterPage:
        """Fill the form; ``password2`` defaults to ``password``, ``captcha=None`` solves it."""
        self._fill_form(
            (
                (self._username, username),
                (self._email, email),
                (self._password, password),
                (self._password2, password if password2 is None else password2),
            ),
            captcha,
        )
        return self

    def register_as(self, username: str, email: str, password: str) -> MemberHomePage:
        """Sign up with the right captcha and land, signed in, on the member home."""
        self.fill(username, email, password)
        return self.submit_expecting_home(f"signing up as {email}")
