"""What the sign-in and sign-up pages share: a form that ends in the captcha block."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Self

from qa.pages.base import Locator, Page
from qa.pages.captcha import Captcha


class CaptchaFormPage(Page):
    """A page with one form (``_form``) and the captcha component inside it."""

    _form: ClassVar[Locator]
    form_name: ClassVar[str]

    @property
    def captcha(self) -> Captcha:
        return Captcha(self)

    def wait_until_ready(self) -> Self:
        """Wait until the form is shown and its captcha image has loaded."""
        self._visible(self._form, f"the {self.form_name} form")
        self.captcha.wait_until_shown()
        return self

    def _type_into(self, values: Iterable[tuple[Locator, str]]) -> None:
        """Replace what each field holds with its text."""
        for locator, text in values:
            field = self.find(locator)
            field.clear()
            field.send_keys(text)
