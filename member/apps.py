from __future__ import annotations

from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


class MemberConfig(AppConfig):
    name = "member"
    verbose_name = _("Members")

    def ready(self) -> None:
        from member import (
            actions,  # noqa: F401  (tells owners of a locked account)
            checks,  # noqa: F401  (registers the system checks)
        )
        from member.conf import member_settings

        # At start-up, however the site is started (gunicorn, runserver, a management command):
        # the hook hands out captcha answers, so production must not start with it.
        if member_settings.CAPTCHA_DEBUG_HOOK and not settings.DEBUG:
            raise ImproperlyConfigured(
                "MEMBER_CAPTCHA_DEBUG_HOOK is on while DEBUG is off: the debug hook would hand "
                "out captcha answers in production. Unset MEMBER_CAPTCHA_DEBUG_HOOK (it is for "
                "tests and development only)."
            )
