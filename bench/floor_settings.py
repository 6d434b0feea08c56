"""The captcha benchmark's floor: the site's own settings, with ``bench.floor_urls`` as root."""

from memberproj.settings import *  # noqa: F403

ROOT_URLCONF = "bench.floor_urls"
