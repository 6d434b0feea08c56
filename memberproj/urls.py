from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from member.metrics import metrics_view

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="member:login", permanent=False)),
    path("member/", include("member.urls")),
    # Staff sign in through the member login, captcha and throttling included: the admin's own
    # login form would let a robot test any member's password without a captcha.
    path(
        "admin/login/",
        RedirectView.as_view(pattern_name="member:login", permanent=False, query_string=True),
    ),
    path("admin/", admin.site.urls),
    path("metrics", metrics_view, name="metrics"),
]

# An outage of Redis or PostgreSQL is answered with 503, any other error with Django's 500 page.
handler500 = "member.outage.server_error"
