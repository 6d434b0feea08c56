from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from member import throttle
from member.models import Member, ThrottleCounter


class MemberCreationForm(AdminUserCreationForm):
    class Meta:
        model = Member
        fields = ("email", "username")


class MemberChangeForm(UserChangeForm):
    class Meta:
        model = Member
        fields = "__all__"


@admin.register(Member)
class MemberAdmin(UserAdmin):
    form = MemberChangeForm
    add_form = MemberCreationForm
    list_display = ("email", "username", "is_active", "is_staff", "date_joined", "last_login")
    list_filter = ("is_active", "is_staff", "is_superuser")
    search_fields = ("email", "username")
    ordering = ("email",)
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("username",)}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "username", "usable_password", "password1", "password2"),
            },
        ),
    )


class LimitSearchForm(forms.Form):
    email = forms.CharField(label=_("Email"), required=False, max_length=254)
    client = forms.CharField(label=_("Client address"), required=False, max_length=64)

    def clean(self) -> dict[str, Any]:
        if not (self.cleaned_data.get("email") or self.cleaned_data.get("client")):
            raise forms.ValidationError(_("Give an email, a client address or both."))
        return self.cleaned_data


@admin.register(ThrottleCounter)
class LimitAdmin(admin.ModelAdmin):
    """ "Why is this blocked?" for staff: every limit that applies to an account or a client, the
    same table as ``manage.py throttle show``, and a button that lifts them (logged, with who)."""

    change_list_template = "admin/member/limits.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = LimitSearchForm(request.POST if request.method == "POST" else request.GET or None)
        states = form.is_valid() and throttle.limits_for(
            email=form.cleaned_data["email"] or None, client=form.cleaned_data["client"] or None
        )
        if request.method == "POST" and form.is_valid():
            if not self.has_change_permission(request):
                raise PermissionDenied
            ended = throttle.lift(
                email=form.cleaned_data["email"] or None,
                client=form.cleaned_data["client"] or None,
                lifted_by=f"{request.user.get_username()} (admin)",
            )
            self.message_user(
                request,
                ngettext("Lifted %(count)d limit.", "Lifted %(count)d limits.", ended)
                % {"count": ended},
                messages.SUCCESS,
            )
            return HttpResponseRedirect(f"{request.path}?{request.POST.urlencode()}")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Why is this blocked?"),
            "form": form,
            "states": states or [],
            "searched": form.is_bound and form.is_valid(),
            "can_lift": self.has_change_permission(request),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.change_list_template, context)
