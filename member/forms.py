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


CAPTCHA_ERRORS = {"invalid_captcha": _("The captcha is wrong.")}
LOCKED_OUT_ERRORS = {
    "locked_out": _("Too many failed attempts. Please try again in %(minutes)d minutes.")
}
# What the captcha field itself says, beside the form-wide message above (the contract's): whether
# it was left empty or mistyped, and that the image shown now is a new one.
CAPTCHA_FIELD_ERRORS = {
    "captcha_missing": _("Type the characters of the image here."),
    "captcha_mismatch": _("Those were not the characters. Try this new image."),
}


class MemberBoundField(forms.BoundField):
    """Ties a field's errors to its input: ``aria-describedby`` names the error list (the
    templates give it the id ``<input id>_error``) before the help text, and Django sets
    ``aria-invalid``. Django 5.2 describes only the help text."""

    def build_widget_attrs(self, attrs: dict[str, Any], widget: Any = None) -> dict[str, Any]:
        attrs = super().build_widget_attrs(attrs, widget)
        if self.errors and self.auto_id:
            described = [f"{self.auto_id}_error"]
            if self.help_text:
                described.append(f"{self.auto_id}_helptext")
            attrs["aria-describedby"] = " ".join(described)
        return attrs


class MemberForm(forms.Form):
    """The site's forms: errors tied to their fields, and the focus where input is needed."""

    bound_field_class = MemberBoundField

    def focus_first_needing_input(self) -> None:
        """Move ``autofocus`` to the first field with an error, or else the first one left
        empty (the password and captcha a page shown again has emptied), so a keyboard or
        screen-reader user starts where the work is."""
        names = list(self.fields)
        target = next((name for name in names if name in self.errors), None)
        if target is None:
            target = next((name for name in names if not self.data.get(name)), None)
        for name, field in self.fields.items():
            field.widget.attrs.pop("autofocus", None)
            if name == target:
                field.widget.attrs["autofocus"] = True


class RefusableForm:
    """A form whose attempt a limit may refuse: the lockout message with the minutes left, and
    ``refusal`` set so the view answers 429 with ``Retry-After`` (``member.views.refused_or``)."""

    error_messages: dict[str, Any]
    refusal: Refusal | None = None

    def raise_if_refused(self, refusal: Refusal | None) -> None:
        """Refuse the attempt when a limit says so."""
        if refusal is not None:
            raise self.refused(refusal)

    def refused(self, refusal: Refusal) -> ValidationError:
        self.refusal = refusal
        return ValidationError(
            self.error_messages["locked_out"],
            code="locked_out",
            params={"minutes": refusal.minutes},
        )


class CaptchaForm(RefusableForm, MemberForm):
    """Checks the captcha first in ``clean()``, using the session's challenge up every time."""

    request: HttpRequest
    # Inputs a page shown again after a failure leaves empty: the answer is used up, and a
    # password is never sent back to the browser.
    secret_fields: tuple[str, ...] = ("captcha",)

    @property
    def captcha_image_size(self) -> tuple[int, int]:
        """The image's displayed width and height in CSS pixels."""
        return tuple(member_settings.CAPTCHA_IMAGE_SIZE)

    def clear_secrets(self) -> None:
        """Empty ``secret_fields`` before the bound form is shown again (its errors stay), and
        put the focus on the first field that needs input."""
        self.data = self.data.copy()
        for name in self.secret_fields:
            self.data.pop(name, None)
        self.focus_first_needing_input()

    def check_captcha(self, answer: str | None) -> None:
        """Raise unless ``answer`` solves the session's challenge (used up either way).

        A missing or wrong answer counts toward no limit: only password checks lock, so nobody
        who solves nothing can lock anyone out (the image's own per-client limit bounds how
        fast anyone gets challenges to solve).
        """
        if not captcha.verify(self.request.session, answer):
            code = "captcha_mismatch" if answer else "captcha_missing"
            self.add_error("captcha", ValidationError(CAPTCHA_FIELD_ERRORS[code], code=code))
            raise ValidationError(self.error_messages["invalid_captcha"], code="invalid_captcha")


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


class LoginForm(CaptchaForm):
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
        **LOCKED_OUT_ERRORS,
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
        # Consumed before the password is looked at: a burst cannot check more than the limit.
        reservation = throttle.consume_password_check(self.request, email)
        if isinstance(reservation, Refusal):
            self.raise_if_refused(reservation)
        self.user_cache = authenticate(self.request, email=email, password=password)
        if self.user_cache is None:
            throttle.count_failed_check(self.request, email, reservation)
            raise ValidationError(self.error_messages["invalid_login"], code="invalid_login")
        reservation.release()
        return self.cleaned_data

    def get_user(self) -> Member | None:
        return self.user_cache


class RegisterForm(CaptchaForm):
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
        # The would-be member, as Django's BaseUserCreationForm validates against its instance: its
        # own constraints say whether the email is taken, and the password validators compare the
        # password with its name and email.
        email = self.cleaned_data.get("useremail")
        candidate = Member(email=email or "", username=self.cleaned_data.get("username", ""))
        # The captcha comes first so the member table answers no question for a robot. The
        # password checks ask nothing of the database: they run either way, so a person learns
        # every problem with the form in one round trip.
        try:
            self.check_captcha(self.cleaned_data.get("captcha"))
        except ValidationError:
            self.check_passwords(candidate)
            raise
        if email:
            try:
                candidate.validate_constraints()
            except ValidationError:
                self.email_taken()
        self.check_passwords(candidate)
        return self.cleaned_data

    def check_passwords(self, candidate: Member) -> None:
        """Every password problem at once: Django's validators on the first, a mismatch on the
        second."""
        password = self.cleaned_data.get("userpassword")
        password2 = self.cleaned_data.get("userpassword2")
        if password is not None:
            try:
                password_validation.validate_password(password, candidate)
            except ValidationError as error:
                self.add_error("userpassword", error)
        if password is not None and password2 is not None and password != password2:
            self.add_error("userpassword2", self.error_messages["password_mismatch"])

    def email_taken(self) -> None:
        """The email belongs to a member: say so (each try costs a solved captcha)."""
        self.add_error("useremail", self.error_messages["email_taken"])


class MemberPasswordChangeForm(RefusableForm, PasswordChangeForm):
    """Django's change form (``old_password``, ``new_password1``, ``new_password2``, the
    validators); the old password is checked like a sign-in: consumed, and counted when wrong."""

    error_messages = {**PasswordChangeForm.error_messages, **LOCKED_OUT_ERRORS}

    def __init__(self, user: Member, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self) -> str:
        reservation = throttle.consume_password_check(self.request, self.user.email)
        if isinstance(reservation, Refusal):
            raise self.refused(reservation)
        try:
            old_password = super().clean_old_password()
        except ValidationError:
            throttle.count_failed_check(self.request, self.user.email, reservation)
            raise
        reservation.release()
        return old_password


class PasswordResetRequestForm(CaptchaForm):
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
            self.raise_if_refused(throttle.consume_password_reset_request(self.request, email))
        return self.cleaned_data
