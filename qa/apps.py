from __future__ import annotations

from django.apps import AppConfig


class QaConfig(AppConfig):
    """The QA harness: factories and the seed_members command. Development and test only."""

    name = "qa"
    verbose_name = "QA harness"
