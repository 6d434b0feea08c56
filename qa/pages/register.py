"""The sign-up page, ``/member/register/``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from selenium.webdriver.common.by import By

from qa.pages.base import UnexpectedPage
from qa.pages.form import CaptchaFormPage

if TYPE_CHECKING:
    from qa.pages.home import MemberHomePage


class RegisterPage(CaptchaFormPage):
    """Name, email, password twice and captcha; a new member is signed in straight away."""

    path = "/member/register/"
    form_name = "sign-up"

    _form = (By.ID, "register_form")
    _username = (By.NAME, "username")
    _email = (By.NAME, "useremail")
    _password = (By.NAME, "userpassword")
    _password2 = (By.NAME, "userpassword2")
    _submit_button = (By.ID, "btn_register")
    _errors = (By.CSS_SELECTOR, "div#form_errors[role=alert], ul.field-errors")

    @property
    def error_text(self) -> str:
        """Every error the form shows, form-wide and per field, joined with spaces."""
        return " ".join(text for text in self._texts(self._errors) if text)

    def open(self) -> RegisterPage:
        self.driver.get(self.url_for(self.path))
        return self.wait_until_ready()

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
        self._type_into(
            (
                (self._username, username),
                (self._email, email),
                (self._password, password),
                (self._password2, password if password2 is None else password2),
            )
        )
        if captcha is None:
            self.captcha.solve()
        else:
            self.captcha.fill(captcha)
        return self

    def register_as(self, username: str, email: str, password: str) -> MemberHomePage:
        """Sign up with the right captcha and land, signed in, on the member home."""
        from qa.pages.home import MemberHomePage

        self.fill(username, email, password)
        action = f"signing up as {email}"
        landed = self._submit(self.find(self._submit_button).click, action)
        if landed != "home":
            raise UnexpectedPage(f"{action} reached the {landed} page: {self._problems()}")
        return MemberHomePage(self.driver, self.base_url)

    def register_expecting_error(
        self,
        username: str,
        email: str,
        password: str,
        *,
        password2: str | None = None,
        captcha: str | None = None,
    ) -> RegisterPage:
        """Submit a sign-up the site should refuse; return the page that says why."""
        self.fill(username, email, password, password2=password2, captcha=captcha)
        action = f"signing up as {email}"
        landed = self._submit(self.find(self._submit_button).click, action)
        if landed != "register":
            raise UnexpectedPage(f"{action} was expected to fail but reached the {landed} page")
        return RegisterPage(self.driver, self.base_url).wait_until_ready()
