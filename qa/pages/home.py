"""The member home, ``/member/``: who is signed in, and the way out."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from selenium.webdriver.common.by import By

from qa.pages.base import Page

if TYPE_CHECKING:
    from qa.pages.account import PasswordChangePage
    from qa.pages.login import LoginPage


class MemberHomePage(Page):
    path = "/member/"

    _root = (By.ID, "member_name")
    _greeting = (By.ID, "member_name")
    _logout_button = (By.ID, "btn_logout")
    _password_change_link = (By.ID, "link_password_change")

    @property
    def greeting(self) -> str:
        """The welcome line, which names the signed-in member."""
        return self._visible(self._greeting, "the member greeting").text

    def open(self) -> MemberHomePage:
        """Load the home as a signed-in member; raise if the site asks to sign in instead."""
        return self._expect(MemberHomePage, self._navigate(self.path), f"opening {self.path}")

    def open_signed_out(self, *, query: str = "") -> LoginPage:
        """Visit the home without being signed in; the site sends the browser to sign in."""
        from qa.pages.login import LoginPage

        path = f"{self.path}?{query}" if query else self.path
        return self._expect(LoginPage, self._navigate(path), f"opening {path} signed out")

    def logout(self) -> LoginPage:
        """Click "Sign out" and land on the sign-in page."""
        from qa.pages.login import LoginPage

        return self._expect(LoginPage, self.find(self._logout_button).click, "signing out")

    def _navigate(self, path: str) -> Callable[[], None]:
        return lambda: self.driver.get(self.url_for(path))

    def go_to_password_change(self) -> PasswordChangePage:
        from qa.pages.account import PasswordChangePage

        return self._expect(
            PasswordChangePage,
            self.find(self._password_change_link).click,
            'following "Change password"',
        )
