"""``GET /image/``: a new django-simple-captcha challenge and its PNG, as a new visitor gets one."""

from __future__ import annotations

from captcha.models import CaptchaStore
from captcha.views import captcha_image
from django.http import HttpRequest, HttpResponse
from django.urls import path


def new_captcha_image(request: HttpRequest) -> HttpResponse:
    """What a form with a ``CaptchaField`` costs per visitor: a stored key, then its image."""
    return captcha_image(request, CaptchaStore.generate_key())


urlpatterns = [path("image/", new_captcha_image)]
