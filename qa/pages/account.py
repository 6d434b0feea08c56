"""The account pages: change the password signed in, reset a forgotten one by a mailed link."""

from __future__ import annotations

from typing import TYPE_CHECKING

from selenium.webdriver.common.by import By

from qa.pages.base import Page
from qa.pages.form import CaptchaFormPage
from qa.pages.home import MemberHomePage

if TYPE_CHECKING:
    from qa.pages.login import LoginPage


class PasswordChangePage(Page):
    """Old password, the new one twice."""

    path = "/member/password/change/"

    _root = (By.ID, "password_change_form")
    _old = (By.NAME, "old_password")
    _new1 = (By.NAME, "new_password1")
    _new2 = (By.NAME, "new_password2")
    _submit_button = (By.ID, "btn_password_change")

    def open(self) -> PasswordChangePage:
        """Load the page as a signed-in member; raise if the site asks to sign in instead."""
        return self._expect(
            PasswordChangePage,
            lambda: self.driver.get(self.url_for(self.path)),
            f"opening {self.path}",
        )

    def change(self, old: str, new: str) -> MemberHomePage:
        """Change the password and land on the member home (still signed in)."""
        for locator, text in ((self._old, old), (self._new1, new), (self._new2, new)):
            self.replace_text(locator, text)
        return self._expect(
            MemberHomePage, self.find(self._submit_button).click, "changing the password"
        )

    def change_expecting_error(self, old: str, new: str, new2: str) -> PasswordChangePage:
        """Submit what the site should refuse; return the same page with its errors."""
        for locator, text in ((self._old, old), (self._new1, new), (self._new2, new2)):
            self.replace_text(locator, text)
        return self._expect(
            PasswordChangePage, self.find(self._submit_button).click, "changing (expected to fail)"
        )


class PasswordResetPage(CaptchaFormPage):
    """Email and captcha: asks for a mailed link."""

    path = "/member/password/reset/"

    _root = (By.ID, "password_reset_form")

    def request_link(self, email: str) -> ResetSentPage:
        """Ask for a link with the right captcha; land on the "check your mail" page."""
        self._fill_form(((self._email, email),), None)
        return self._expect(
            ResetSentPage, self.find(self._submit_button).click, f"asking a link for {email}"
        )


class ResetSentPage(Page):
    """ "Check your mail": the same page whether or not the email has a member."""

    path = "/member/password/reset/sent/"

    _root = (By.ID, "reset_sent")


class SetPasswordPage(Page):
    """The mailed link's page: the new password twice."""

    _root = (By.ID, "password_set_form")
    _new1 = (By.NAME, "new_password1")
    _new2 = (By.NAME, "new_password2")
    _submit_button = (By.ID, "btn_password_set")

    def open_link(self, link: str) -> SetPasswordPage | LinkInvalidPage:
        """Follow a mailed link; a used or broken one shows the page that says so."""
        landed = self._submit(lambda: self.driver.get(self.url_for(link)), f"opening {link}")
        return landed.wait_until_ready()  # type: ignore[return-value]

    def set_password(self, password: str) -> LoginPage:
        from qa.pages.login import LoginPage

        self.replace_text(self._new1, password)
        self.replace_text(self._new2, password)
        return self._expect(
            LoginPage, self.find(self._submit_button).click, "setting the new password"
        )


class LinkInvalidPage(Page):
    """A used, expired or changed link: says so, with a way to ask for a new one."""

    _root = (By.ID, "link_invalid")


class LogoutPage(Page):
    """``GET /member/logout/`` for a signed-in member: asks to confirm signing out."""

    path = "/member/logout/"

    _root = (By.ID, "logout_confirm_form")
    _confirm_button = (By.ID, "btn_logout_confirm")

    def open(self) -> LogoutPage:
        return self._expect(
            LogoutPage, lambda: self.driver.get(self.url_for(self.path)), "opening sign-out"
        )

    def confirm(self) -> LoginPage:
        from qa.pages.login import LoginPage

        return self._expect(LoginPage, self.find(self._confirm_button).click, "signing out")


class ErrorPage(Page):
    """The site's error pages (404, 403, 405, …): a heading, a text, a way back."""

    _root = (By.ID, "error_text")

    def open(self, path: str) -> ErrorPage:
        """Visit ``path``, which the site should answer with an error page."""
        return self._expect(
            ErrorPage, lambda: self.driver.get(self.url_for(path)), f"opening {path}"
        )
