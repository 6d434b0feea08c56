# ruff: noqa: RUF001  (Django's own texts, typographic apostrophes and all)
"""Django's own messages that the site words its own way (member/locale): named here so that
``makemessages`` keeps their translations instead of dropping them as unused."""

from django.utils.translation import gettext_noop, ngettext_lazy

DJANGO_MESSAGES = [
    gettext_noop("This field is required."),
    gettext_noop("This password is too common."),
    gettext_noop("This password is entirely numeric."),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("Your password can’t be entirely numeric."),
    gettext_noop("Your old password was entered incorrectly. Please enter it again."),
    gettext_noop("The two password fields didn’t match."),
    ngettext_lazy(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
    ),
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
    ),
]
