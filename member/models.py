from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from member.emails import normalise_email, normalise_email_for_lookup


class MemberManager(BaseUserManager["Member"]):
    use_in_migrations = True

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        """The one normal form (``member.emails``); Django's model ``clean()`` calls this too."""
        return normalise_email(email or "")

    def get_by_natural_key(self, email: str | None) -> Member:
        # Sign-in looks the email up in the same normal form it was stored in.
        return self.get(email=normalise_email_for_lookup(email or ""))

    def create_user(
        self,
        email: str,
        password: str | None = None,
        *,
        password_hash: str | None = None,
        **extra_fields: Any,
    ) -> Member:
        """The one way a member is made: normalised email, hashed password, validated, saved.

        Test data may pass ``password_hash`` (a ``make_password`` result) instead of
        ``password``, so many members share one hash. Raises ``ValidationError`` for an invalid
        or taken email (the unique constraint's message); a concurrent sign-up that wins the race
        makes ``save()`` raise ``IntegrityError``.
        """
        member = self.model(email=self.normalize_email(email), **extra_fields)
        if password_hash is None:
            member.set_password(password)
        else:
            member.password = password_hash
        member.full_clean(exclude=["password"])
        member.save(using=self._db)
        return member

    def create_superuser(
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> Member:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra_fields)


class Member(AbstractBaseUser, PermissionsMixin):
    """A member signs in with an email address; ``username`` is the name the site greets them by."""

    email = models.EmailField(_("email address"), max_length=254, unique=True)
    username = models.CharField(_("name"), max_length=150)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff status"), default=False)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = MemberManager()

    EMAIL_FIELD = "email"
    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["username"]

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="member_email_unique_ignoring_case",
                violation_error_message=_("A member with this email address already exists."),
                violation_error_code="email_taken",
            )
        ]

    def __str__(self) -> str:
        return f"{self.username} <{self.email}>"

    def get_full_name(self) -> str:
        return self.username

    def get_short_name(self) -> str:
        return self.username


class ThrottleCounter(models.Model):
    """One rate-limit counter in the database (``member.ratelimit`` without Redis).

    ``expires_at`` is a Unix time in seconds: the end of the counter's current window.
    """

    key = models.CharField(max_length=255, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.FloatField(db_index=True)

    class Meta:
        verbose_name = _("limit")
        verbose_name_plural = _("limits")

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"
