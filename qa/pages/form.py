"""What the sign-in and sign-up pages share: a form that ends in the captcha block.

The shared flows live here once: fill fields, solve or fill the captcha, submit and expect the
member home, submit and expect the same form back with its errors.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Self

from selenium.webdriver.common.by import By

from qa.pages.base import Locator, Page
from qa.pages.captcha import Captcha
from qa.pages.home import MemberHomePage


class CaptchaFormPage(Page):
    """A page whose root is its form (``_root``), with the captcha component inside it."""

    # The contract's field names, the same in both forms; the form's one submit button (the
    # captcha row's buttons are type="button"); the form-wide alert; the fields' error lists.
    _email = (By.NAME, "useremail")
    _password = (By.NAME, "userpassword")
    _submit_button = (By.CSS_SELECTOR, "form button[type=submit]")
    _alert = (By.CSS_SELECTOR, "div#form_errors[role=alert]")
    _field_errors = (By.CSS_SELECTOR, "ul.field-errors")

    @property
    def captcha(self) -> Captcha:
        return Captcha(self)

    @property
    def error_text(self) -> str:
        """The form-wide alert (the contract's messages), ``""`` when there is none."""
        return " ".join(text for text in self._texts(self._alert) if text)

    @property
    def field_errors(self) -> dict[str, str]:
        """Each field's errors by the field's ``name``, read through the ``aria-describedby``
        that ties them to it (so an error a screen reader would not announce is not here)."""
        errors = {}
        for field in self.find_all((By.CSS_SELECTOR, "form [aria-invalid=true]")):
            described = (field.get_attribute("aria-describedby") or "").split()
            texts = [self.find((By.ID, ref)).text for ref in described if ref.endswith("_error")]
            errors[field.get_attribute("name")] = " ".join(texts)
        return errors

    @property
    def focus_ring_visible(self) -> bool:
        """Whether the focused element draws a focus indicator (an outline or a ring shadow)."""
        return self.run_script(
            "const style = getComputedStyle(document.activeElement);"
            "return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2)"
            " || style.boxShadow !== 'none';"
        )

    @property
    def focused_field(self) -> str:
        """The ``name`` (or else the ``id``) of the element that has the keyboard focus."""
        return self.run_script(
            "const el = document.activeElement;"
            "return el ? (el.getAttribute('name') || el.id || el.tagName.toLowerCase()) : '';"
        )

    def open(self) -> Self:
        self.driver.get(self.url_for(self.path))
        return self.wait_until_ready()

    def wait_until_ready(self) -> Self:
        """Wait until the form is shown and its captcha image has loaded."""
        super().wait_until_ready()
        self.captcha.wait_until_shown()
        return self

    def submit_expecting_home(self, action: str) -> MemberHomePage:
        """Click the submit button and wait for the member home (or the ``next`` page)."""
        return self._expect(MemberHomePage, self.find(self._submit_button).click, action)

    def submit_expecting_error(self, action: str) -> Self:
        """Click the submit button; the site should refuse and show this form again."""
        return self._expect(type(self), self.find(self._submit_button).click, action)

    def _fill_form(self, values: Iterable[tuple[Locator, str]], captcha: str | None) -> None:
        """Replace what each field holds; ``captcha=None`` types the right answer."""
        for locator, text in values:
            self.replace_text(locator, text)
        if captcha is None:
            self.captcha.solve()
        else:
            self.captcha.fill(captcha)
