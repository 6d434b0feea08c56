"""Project settings, read from the environment (12-factor).

Every variable is documented in the README's configuration table. Development is the default for
``manage.py``; the WSGI entry point defaults to production (``DJANGO_DEBUG=0``).
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env_flag(name: str, default: bool) -> bool:
    """Read a ``0``/``1`` style flag; anything but a clear yes or no is a configuration error."""
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be 0 or 1, not {raw!r}.")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < 0:
        raise ImproperlyConfigured(f"{name} must not be negative.")
    return value


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int_list(name: str) -> list[int]:
    """Comma-separated whole numbers, e.g. ``60,300``; anything else is a configuration error."""
    try:
        values = [int(item) for item in env_list(name, "")]
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be whole numbers separated by commas, not {os.environ[name]!r}."
        ) from None
    if any(value < 0 for value in values):
        raise ImproperlyConfigured(f"{name} must not hold negative numbers.")
    return values


DEBUG = env_flag("DJANGO_DEBUG", default=True)

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY is required when DJANGO_DEBUG=0. Generate one with: python -c "
            "'from django.core.management.utils import get_random_secret_key as k; print(k())'"
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost")

INSTALLED_APPS = [
    # Before staticfiles: runserver then leaves /static/ to WhiteNoise (as in production) instead
    # of its own handler, which answers a path like /static/../x with a 500.
    "whitenoise.runserver_nostatic",
    "member",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "csp",
    # Tasks (mail sent off the request path, member.mail): the framework and its database
    # backend, whose queue table `migrate` creates and `manage.py db_worker` works through.
    "django_tasks",
    "django_tasks_db",
]
if DEBUG:
    # The QA harness (factories, seed_members) is a development tool; production never loads it,
    # so it never needs factory_boy or Faker.
    INSTALLED_APPS.append("qa")

MIDDLEWARE = [
    # Outermost, so every response gets their headers: static files, the 400 for an unknown Host
    # (raised inside CommonMiddleware), 403, 404, 405, 429 and 500 pages alike.
    "csp.middleware.CSPMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "member.middleware.NeverCachedMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "member.middleware.MethodNotAllowedPageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "memberproj.urls"
WSGI_APPLICATION = "memberproj.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Database: DATABASE_URL, SQLite in the repository root by default.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The threaded dev server and several gunicorn workers write at once: WAL lets readers and a
    # writer overlap, IMMEDIATE takes the write lock at BEGIN (no lock upgrade deadlocks), and the
    # timeout makes a writer wait for the lock instead of failing with "database is locked".
    # synchronous=NORMAL: in WAL mode a commit is not fsynced (a power cut may lose the last
    # commits, never corrupt the file); the checkpoints are.
    # Connections persist (CONN_MAX_AGE, from above): a sync gunicorn worker serves one request
    # at a time on its own connection, and runserver closes each thread's connections after its
    # request anyway. Opening one per request cost more than the captcha's queries: the connect,
    # Django's SQL functions, the init_command, and at close the last connection of a WAL database
    # checkpoints and removes the WAL file (an fsync) every time.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }

# Cache, sessions (and with them the captcha challenges) and throttle state: Redis when REDIS_URL
# is set, else the database, which every worker shares (a per-process memory cache would let each
# worker count on its own).
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Seconds before a request gives up on an unreachable Redis (and gets a 503 page,
            # member.outage) instead of hanging.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "member_cache",
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.db"

AUTH_USER_MODEL = "member.Member"
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
LOGIN_URL = "member:login"
LOGIN_REDIRECT_URL = "member:home"
LOGOUT_REDIRECT_URL = "member:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions: identity lives server-side; the cookie only carries the key. Each sign-in sets its own
# expiry (remember me or browser session), see member.views.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# A sign-in without "remember me" ends with the browser, and server-side at most this many seconds
# after the session was last saved (a remembered sign-in sets its own seven days).
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

LANGUAGE_CODE = "zh-hant"
LANGUAGES = [("zh-hant", _("Traditional Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "member" / "locale"]
TIME_ZONE = "Asia/Taipei"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where collectstatic gathers the files WhiteNoise serves under `make serve`.
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT") or BASE_DIR / "staticfiles")
# In development WhiteNoise serves from the app folders as they change (no collectstatic needed).
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# The member app's own settings (member/conf.py documents each one and its default).
MEMBER_CAPTCHA_DEBUG_HOOK = env_flag("MEMBER_CAPTCHA_DEBUG_HOOK", default=False)
if os.environ.get("MEMBER_CAPTCHA_RATE_LIMIT", "").strip():
    MEMBER_CAPTCHA_RATE_LIMIT = env_int("MEMBER_CAPTCHA_RATE_LIMIT", default=0)

if os.environ.get("MEMBER_MAIL_RETRY_DELAYS", "").strip():
    MEMBER_MAIL_RETRY_DELAYS = env_int_list("MEMBER_MAIL_RETRY_DELAYS")

if os.environ.get("MEMBER_TRUSTED_PROXY_COUNT", "").strip():
    MEMBER_TRUSTED_PROXY_COUNT = env_int("MEMBER_TRUSTED_PROXY_COUNT", default=0)
if os.environ.get("MEMBER_TRUSTED_PROXIES", "").strip():
    MEMBER_TRUSTED_PROXIES = env_list("MEMBER_TRUSTED_PROXIES", "")

# Content-Security-Policy on every response: no inline script or style, no third-party origin.
# blob: lets the refresh button show the image it fetched, and the audio button play its sound.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "blob:"],
        "media-src": ["'self'", "blob:"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}

# Production: behind a TLS-terminating proxy that sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_flag("DJANGO_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# Mail (password reset). EMAIL_URL: smtp://user:password@host:587/?tls=True or smtps://…:465;
# without it mails are printed on the console (`make run`; `check --deploy` says so, member.I001).
EMAIL_URL = os.environ.get("EMAIL_URL", "").strip()
if EMAIL_URL:
    _mail = urlsplit(EMAIL_URL)
    if _mail.scheme not in {"smtp", "smtps"} or not _mail.hostname:
        raise ImproperlyConfigured(
            "EMAIL_URL must look like smtp://user:password@host:587/?tls=True"
        )
    _mail_options = {key: values[-1] for key, values in parse_qs(_mail.query).items()}
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _mail.hostname
    EMAIL_PORT = _mail.port or (465 if _mail.scheme == "smtps" else 25)
    EMAIL_HOST_USER = unquote(_mail.username or "")
    EMAIL_HOST_PASSWORD = unquote(_mail.password or "")
    EMAIL_USE_SSL = _mail.scheme == "smtps"
    EMAIL_USE_TLS = not EMAIL_USE_SSL and _mail_options.get("tls", "").lower() in {"1", "true"}
    EMAIL_TIMEOUT = 10
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "webmaster@localhost")
# Requests only queue mail, in the database; the task worker (`manage.py db_worker`, started
# beside the app server by `make run` and `make serve`) sends it (member.mail).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A password-reset link works once, for an hour.
PASSWORD_RESET_TIMEOUT = 60 * 60

# Logs on stderr. LOG_FORMAT=json: one JSON object a line (every authentication event with its
# fields, member.events), the default in production; text: readable lines, the default under DEBUG.
LOG_FORMAT = os.environ.get("LOG_FORMAT", "").strip().lower() or ("text" if DEBUG else "json")
if LOG_FORMAT not in {"json", "text"}:
    raise ImproperlyConfigured(f"LOG_FORMAT must be json or text, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "text": {"format": "{asctime} {levelname} {name}: {message}", "style": "{"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "{asctime}{levelname}{name}{message}",
            "style": "{",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "loggers": {"member": {"handlers": ["stderr"], "level": "INFO", "propagate": False}},
}

# GET /metrics (Prometheus) answers only "Authorization: Bearer <this>"; unset, it is a 404.
MEMBER_METRICS_TOKEN = os.environ.get("MEMBER_METRICS_TOKEN", "").strip()
