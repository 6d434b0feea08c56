from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MemberConfig(AppConfig):
    name = "member"
    verbose_name = _("Members")

    def ready(self) -> None:
        from member import checks  # noqa: F401  (registers the system checks)
