from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.urls import path
from django.views.generic import RedirectView

from member import views

app_name = "member"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.MemberLoginView.as_view(), name="login"),
    path("logout/", views.MemberLogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("captcha/", views.captcha_image, name="captcha"),
    path("captcha/audio/", views.captcha_audio, name="captcha_audio"),
    path("debug/captcha/", views.captcha_debug_hook, name="captcha_debug_hook"),
    path(
        "password/change/",
        login_required(views.MemberPasswordChangeView.as_view()),
        name="password_change",
    ),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/sent/", views.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        views.MemberPasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    # The design's slash-less addresses keep working. Any method is redirected (APPEND_SLASH would
    # fail on a POST in DEBUG); a POST arrives as a GET and simply shows the form again.
    path("login", RedirectView.as_view(pattern_name="member:login", query_string=True)),
    path("captcha", RedirectView.as_view(pattern_name="member:captcha")),
]
