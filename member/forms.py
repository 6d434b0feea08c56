"""Sign-in and sign-up forms: they carry the rules and the user-facing messages.

Both check the captcha first in ``clean()``, whatever the other fields hold, so every POST uses
the challenge up and a wrong captcha never reaches ``authenticate()`` or the member table.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.forms import PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from member import captcha, throttle
from member.conf import member_settings
from member.emails import normalise_email
from member.models import Member
from member.ratelimit import Refusal

# Argon2 takes any length, but a multi-megabyte password would cost memory and time before being
# refused; no real password is this long.
PASSWORD_MAX_LENGTH = 1024
EMAIL_MAX_LENGTH = 254


CAPTCHA_ERRORS = {
    "invalid_captcha": _("The captcha is wrong."),
    "locked_out": _("Too many failed attempts. Please try again in %(minutes)d minutes."),
}


class CaptchaFormMixin:
    """Checks the captcha first in ``clean()``, using the session's challenge up every time."""

    request: HttpRequest
    error_messages: dict[str, Any]
    data: Any
    # Inputs a page shown again after a failure leaves empty: the answer is used up, and a
    # password is never sent back to the browser.
    secret_fields: tuple[str, ...] = ("captcha",)
    # Set when the attempt was refused by a limit: the view answers with ``respond_429``.
    refusal: Refusal | None = None

    @property
    def captcha_image_size(self) -> tuple[int, int]:
        """The image's displayed width and height in CSS pixels."""
        return tuple(member_settings.CAPTCHA_IMAGE_SIZE)

    def clear_secrets(self) -> None:
        """Empty ``secret_fields`` before the bound form is shown again (its errors stay)."""
        self.data = self.data.copy()
        for name in self.secret_fields:
            self.data.pop(name, None)

    def check_captcha(self, answer: str | None) -> None:
        """Raise unless the captcha is solved and the client address is not locked out.

        A wrong answer counts as a failure of the client address (not of the account: the
        password was never looked at).
        """
        solved = captcha.verify(self.request.session, answer)
        self.raise_if_refused(throttle.client_refusal(self.request))
        if not solved:
            self.raise_if_refused(throttle.count_client_failure(self.request))
            raise ValidationError(self.error_messages["invalid_captcha"], code="invalid_captcha")

    def raise_if_refused(self, refusal: Refusal | None) -> None:
        """Refuse the attempt when a limit says so: the lockout message with the time left."""
        if refusal is not None:
            raise self.refused(refusal)

    def refused(self, refusal: Refusal) -> ValidationError:
        self.refusal = refusal
        return ValidationError(
            self.error_messages["locked_out"],
            code="locked_out",
            params={"minutes": refusal.minutes},
        )


def captcha_field() -> forms.CharField:
    return forms.CharField(
        label=_("Captcha"),
        required=False,  # a missing answer is a wrong answer: one message for both, in clean()
        max_length=captcha.MAX_ANSWER_LENGTH,
        strip=True,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": _("Captcha"),
            }
        ),
    )


class LoginForm(CaptchaFormMixin, forms.Form):
    """Email, password and captcha; ``get_user()`` returns the member once the form is valid.

    Mirrors Django's ``AuthenticationForm`` (it is what ``LoginView`` expects) with the design's
    field names.
    """

    useremail = forms.CharField(
        label=_("Email"),
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(
            attrs={"autocomplete": "email", "autofocus": True, "placeholder": _("Email")}
        ),
    )
    userpassword = forms.CharField(
        label=_("Password"),
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "placeholder": _("Password")}
        ),
    )
    captcha = captcha_field()
    rememberme = forms.BooleanField(required=False)

    secret_fields = ("userpassword", "captcha")

    error_messages = {
        **CAPTCHA_ERRORS,
        "invalid_login": _("Sign-in failed: wrong email or password."),
    }

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        self.user_cache: Member | None = None
        super().__init__(*args, **kwargs)
        days = max(1, member_settings.REMEMBER_ME_AGE // (24 * 60 * 60))
        self.fields["rememberme"].label = ngettext(
            "Remember me for %(days)d day", "Remember me for %(days)d days", days
        ) % {"days": days}
        # Too long for any account: the same message as any other bad credentials.
        for name in ("useremail", "userpassword"):
            self.fields[name].error_messages["max_length"] = self.error_messages["invalid_login"]

    def clean(self) -> dict[str, Any]:
        self.check_captcha(self.cleaned_data.get("captcha"))
        email = self.cleaned_data.get("useremail")
        password = self.cleaned_data.get("userpassword")
        if email is None or password is None:
            return self.cleaned_data  # a field already failed and says why
        # Reserved before the password is looked at: a burst cannot check more than the limit.
        reservation = throttle.reserve_password_check(self.request, email)
        if isinstance(reservation, Refusal):
            self.raise_if_refused(reservation)
        self.user_cache = authenticate(self.request, email=email, password=password)
        if self.user_cache is None:
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        reservation.release()
        return self.cleaned_data

    def get_user(self) -> Member | None:
        return self.user_cache


class RegisterForm(CaptchaFormMixin, forms.Form):
    """Sign-up: name, email, password twice and captcha, checked in that order of cost."""

    username = forms.CharField(
        label=_("Name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name", "autofocus": True}),
    )
    useremail = forms.EmailField(
        label=_("Email"),
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    userpassword = forms.CharField(
        label=_("Password"),
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    userpassword2 = forms.CharField(
        label=_("Password again"),
        max_length=PASSWORD_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    captcha = captcha_field()

    secret_fields = ("userpassword", "userpassword2", "captcha")

    error_messages = {
        **CAPTCHA_ERRORS,
        "password_mismatch": _("The two passwords differ."),
        "email_taken": _("A member with this email address already exists."),
    }

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_useremail(self) -> str:
        """The one normal form of the address (``member.emails``): lookalikes are one mailbox."""
        return normalise_email(self.cleaned_data["useremail"])

    def clean(self) -> dict[str, Any]:
        # The captcha comes first so the member table answers no question for a robot.
        self.check_captcha(self.cleaned_data.get("captcha"))
        # The would-be member, as Django's BaseUserCreationForm validates against its instance: its
        # own constraints say whether the email is taken, and the password validators compare the
        # password with its name and email.
        email = self.cleaned_data.get("useremail")
        candidate = Member(email=email or "", username=self.cleaned_data.get("username", ""))
        if email:
            try:
                candidate.validate_constraints()
            except ValidationError:
                self.email_taken()
        password = self.cleaned_data.get("userpassword")
        password2 = self.cleaned_data.get("userpassword2")
        if password is not None and password2 is not None and password != password2:
            self.add_error("userpassword2", self.error_messages["password_mismatch"])
        elif password is not None:
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as error:
                self.add_error("userpassword", error)
        return self.cleaned_data

    def email_taken(self) -> None:
        """The email belongs to a member: say so, and count it for the client (a robot would
        otherwise test address after address here)."""
        self.add_error("useremail", self.error_messages["email_taken"])
        refusal = throttle.count_client_failure(self.request)
        if refusal is not None:
            self.add_error(None, self.refused(refusal))


class MemberPasswordChangeForm(PasswordChangeForm):
    """Django's change form (``old_password``, ``new_password1``, ``new_password2``, the
    validators); the old password is checked like a sign-in: reserved, and counted when wrong."""

    refusal: Refusal | None = None

    def __init__(self, user: Member, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self) -> str:
        reservation = throttle.reserve_password_check(self.request, self.user.email)
        if isinstance(reservation, Refusal):
            self.refusal = reservation
            raise ValidationError(
                CAPTCHA_ERRORS["locked_out"],
                code="locked_out",
                params={"minutes": reservation.minutes},
            )
        old_password = super().clean_old_password()  # raises when wrong: the check counts
        reservation.release()
        return old_password


class PasswordResetRequestForm(CaptchaFormMixin, forms.Form):
    """Email and captcha, captcha first; the answer never says whether the email has a member."""

    useremail = forms.CharField(
        label=_("Email"),
        max_length=EMAIL_MAX_LENGTH,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    captcha = captcha_field()

    error_messages = {
        **CAPTCHA_ERRORS,
        "locked_out": _("Too many reset requests. Please try again in %(minutes)d minutes."),
    }

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.request = request
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        self.check_captcha(self.cleaned_data.get("captcha"))
        email = self.cleaned_data.get("useremail")
        if email:
            self.raise_if_refused(throttle.password_reset_refusal(self.request, email))
        return self.cleaned_data
