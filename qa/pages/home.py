"""The member home, ``/member/``: who is signed in, and the way out."""

from __future__ import annotations

from typing import TYPE_CHECKING

from selenium.webdriver.common.by import By

from qa.pages.base import Page, UnexpectedPage

if TYPE_CHECKING:
    from qa.pages.login import LoginPage


class MemberHomePage(Page):
    path = "/member/"

    _greeting = (By.ID, "member_name")
    _messages = (By.CSS_SELECTOR, "li.message")
    _logout_button = (By.ID, "btn_logout")

    @property
    def greeting(self) -> str:
        """The welcome line, which names the signed-in member."""
        return self._visible(self._greeting, "the member greeting").text

    @property
    def messages(self) -> list[str]:
        """One-off notices shown on this visit, e.g. the "signed in" message."""
        return self._texts(self._messages)

    def open(self) -> MemberHomePage:
        """Load the home as a signed-in member; raise if the site asks to sign in instead."""
        landed = self._navigate(self.path)
        if landed != "home":
            raise UnexpectedPage(f"opening {self.path} reached the {landed} page")
        return self

    def open_signed_out(self, *, query: str = "") -> LoginPage:
        """Visit the home without being signed in; the site sends the browser to sign in."""
        from qa.pages.login import LoginPage

        path = f"{self.path}?{query}" if query else self.path
        landed = self._navigate(path)
        if landed != "login":
            raise UnexpectedPage(f"opening {path} signed out reached the {landed} page")
        return LoginPage(self.driver, self.base_url).wait_until_ready()

    def logout(self) -> LoginPage:
        """Click "Sign out" and land on the sign-in page."""
        from qa.pages.login import LoginPage

        landed = self._submit(self.find(self._logout_button).click, "signing out")
        if landed != "login":
            raise UnexpectedPage(f"signing out reached the {landed} page")
        return LoginPage(self.driver, self.base_url).wait_until_ready()

    def _navigate(self, path: str) -> str:
        return self._submit(lambda: self.driver.get(self.url_for(path)), f"opening {path}")
