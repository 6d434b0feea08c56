"""The sign-in page, ``/member/login/``."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlencode

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from qa.pages.form import CaptchaFormPage
from qa.pages.home import MemberHomePage

if TYPE_CHECKING:
    from qa.pages.account import PasswordResetPage
    from qa.pages.register import RegisterPage


class LoginPage(CaptchaFormPage):
    """Email, password, captcha and "remember me"; signs in or says why not."""

    path = "/member/login/"

    _root = (By.ID, "login_form")
    _remember = (By.NAME, "rememberme")
    _register_link = (By.ID, "link_register")
    _reset_link = (By.ID, "link_password_reset")

    # State.

    @property
    def email_value(self) -> str:
        return self.find(self._email).get_attribute("value") or ""

    @property
    def password_value(self) -> str:
        return self.find(self._password).get_attribute("value") or ""

    # Actions.

    def open(self, *, next_path: str | None = None) -> LoginPage:
        """Load the page (with ``?next=`` when given) and wait for the form and its captcha."""
        query = f"?{urlencode({'next': next_path})}" if next_path else ""
        self.driver.get(self.url_for(self.path + query))
        return self.wait_until_ready()

    def fill(
        self, email: str, password: str, *, captcha: str | None = None, remember: bool = False
    ) -> LoginPage:
        """Fill the form; ``captcha=None`` types the right answer for the image shown."""
        self._fill_form(((self._email, email), (self._password, password)), captcha)
        checkbox = self.find(self._remember)
        if checkbox.is_selected() != remember:
            checkbox.click()
        return self

    def login_as(self, email: str, password: str, *, remember: bool = False) -> MemberHomePage:
        """Sign in with the right captcha and land on the member home (or the ``next`` page)."""
        self.fill(email, password, remember=remember)
        return self.submit_expecting_home(f"signing in as {email}")

    def login_expecting_error(
        self,
        email: str,
        password: str,
        *,
        captcha: str | None = None,
        remember: bool = False,
    ) -> LoginPage:
        """Submit credentials the site should refuse; return the login page that says why."""
        self.fill(email, password, captcha=captcha, remember=remember)
        return self.submit_expecting_error(f"signing in as {email} (expected to fail)")

    def submit_expecting_home(self, action: str = "signing in") -> MemberHomePage:
        return super().submit_expecting_home(action)

    def type_into_focused(self, text: str) -> LoginPage:
        """Type ``text`` as keystrokes into whatever has the focus, as a keyboard user does."""
        self.driver.switch_to.active_element.send_keys(text)
        return self

    def press_tab(self) -> LoginPage:
        return self.type_into_focused(Keys.TAB)

    def press_space(self) -> LoginPage:
        return self.type_into_focused(Keys.SPACE)

    def press_enter_expecting_home(self) -> MemberHomePage:
        """Press Enter on the focused element and wait for the member home."""
        return self._expect(
            MemberHomePage,
            lambda: self.driver.switch_to.active_element.send_keys(Keys.ENTER),
            "signing in with the keyboard",
        )

    def go_to_register(self) -> RegisterPage:
        from qa.pages.register import RegisterPage

        return self._expect(
            RegisterPage, self.find(self._register_link).click, "following the sign-up link"
        )

    def go_to_password_reset(self) -> PasswordResetPage:
        from qa.pages.account import PasswordResetPage

        return self._expect(
            PasswordResetPage, self.find(self._reset_link).click, 'following "Forgot password?"'
        )
