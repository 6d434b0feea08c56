"""The site's URLs, with the captcha drawn once per process instead of once per request.

``GET /member/captcha/`` then runs the product's own view, middleware, throttle, challenge
and session save, and only the drawing is replaced by a constant PNG of the same size: what the
request costs besides the drawing (``bench.captcha``'s floor). Benchmark only, never the product.
"""

from __future__ import annotations

from member import captcha
from memberproj.urls import handler500, urlpatterns

CONSTANT_PNG = captcha.render("FL00R")


def constant_render(answer: str) -> bytes:
    """``captcha.render`` for the floor: the same bytes whatever the answer."""
    return CONSTANT_PNG


# The view calls ``captcha.render`` through the module, so this process serves the constant.
captcha.render = constant_render

__all__ = ["handler500", "urlpatterns"]
