"""Carefront settings, read from the environment (see docs/configuration.md)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import dj_database_url
import dj_email_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Lets generic Django classes (ModelAdmin[Account]) be subscripted at run time for the type checker.
django_stubs_ext.monkeypatch()


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (true/false), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from exc
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_secret(name: str) -> str | None:
    """A secret from NAME, or from the file named by NAME_FILE (Docker/systemd secrets)."""
    value = os.environ.get(name)
    if value:
        return value
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE names {path!r}, which cannot be read: {exc}") from exc
    return None


BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(env_str("CAREFRONT_DATA_DIR", "carefront-data")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def _secret_key() -> str:
    configured = env_secret("CAREFRONT_SECRET_KEY")
    if configured:
        return configured
    # Generated once and kept beside the data so sessions survive restarts.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = env_bool("CAREFRONT_DEBUG", False)
PORT = env_int("PORT", 8000, minimum=1)
BASE_URL = env_str("CAREFRONT_BASE_URL", f"http://127.0.0.1:{PORT}").rstrip("/")
_base = urlparse(BASE_URL)
ALLOWED_HOSTS = [h for h in env_str("CAREFRONT_ALLOWED_HOSTS", "").split(",") if h] or [
    _base.hostname or "127.0.0.1",
    "127.0.0.1",
    "localhost",
    "testserver",
]
CSRF_TRUSTED_ORIGINS = [f"{_base.scheme}://{_base.netloc}"]
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = _base.scheme == "https"
CSRF_COOKIE_SECURE = _base.scheme == "https"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "huey.contrib.djhuey",
    "django_htmx",
    "template_partials",
    "csp",
    "axes",
    "carefront.core",
    "carefront.accounts",
    "carefront.desk",
    "carefront.api",
    "carefront.web",
    "carefront.portal",
    "carefront.knowledge",
    "carefront.insights",
    "carefront.mail",
    "carefront.relationships",
    "carefront.feedback",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "carefront.web.middleware.ViewerPreferencesMiddleware",
    # Last, as django-axes asks: it counts failed logins and locks out guessing.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("CAREFRONT_LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = 0.25  # hours a locked-out username+address waits
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/lockout.html"

# No inline scripts anywhere: every script is a static file (htmx is vendored, not from a CDN).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
    }
}

ROOT_URLCONF = "carefront.urls"
WSGI_APPLICATION = "carefront.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def _databases() -> dict[str, Any]:
    url = env_str("DATABASE_URL", f"sqlite:///{DATA_DIR / 'carefront.sqlite3'}")
    try:
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a database URL: {exc}") from exc
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Connections persist like PostgreSQL's: opening one and running the pragmas costs about a
        # millisecond, and a fresh connection starts with a cold page cache.
        config["OPTIONS"] = {
            # IMMEDIATE transactions make concurrent writers wait for the lock instead of failing.
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000; PRAGMA cache_size=-65536;"
            ),
        }
        # A file, not memory, so a worker process started by a test sees the test database.
        config["TEST"] = {"NAME": str(DATA_DIR / "test-carefront.sqlite3")}
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # No JIT compilation: it pays off for long analytic queries only, and costs 50–200 ms on each query whose
        # estimate passes jit_above_cost, such as a scorecard's over a million tickets (docs/decisions.md).
        options = config.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return {"default": config}


DATABASES = _databases()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("French"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Each process's copy of the ticket facts' stored days and months (insights/metrics/facts.py), keyed by their signature
# so that a changed one is never read from it: a dashboard read again reads no arrays from the database.
CAREFRONT_FACTS_CACHE_BYTES = env_int("CAREFRONT_FACTS_CACHE_MB", 512, minimum=0) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("CAREFRONT_MAX_BODY_BYTES", 16 * 1024 * 1024, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
CAREFRONT_MAX_ATTACHMENT_BYTES = env_int("CAREFRONT_MAX_ATTACHMENT_BYTES", 10 * 1024 * 1024, minimum=1)


def _email() -> dict[str, Any]:
    url = env_secret("CAREFRONT_EMAIL_URL")
    if not url:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if url.startswith("file:"):
        # Mail kept as files in a directory (the browser tests read sign-in links there); dj-email-url
        # would drop the leading slash of file:///abs/dir, so the path is read here.
        path = urlparse(url).path
        if not path.startswith("/"):
            raise ImproperlyConfigured(
                f"CAREFRONT_EMAIL_URL must name an absolute directory (file:///DIR), got {url!r}"
            )
        return {"EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend", "EMAIL_FILE_PATH": path}
    try:
        parsed: dict[str, Any] = dj_email_url.parse(url)
    except Exception as exc:  # dj-email-url raises several types on a malformed URL
        raise ImproperlyConfigured(f"CAREFRONT_EMAIL_URL is not an email URL: {exc}") from exc
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parsed["EMAIL_HOST"],
        "EMAIL_PORT": parsed["EMAIL_PORT"],
        "EMAIL_HOST_USER": parsed["EMAIL_HOST_USER"] or "",
        "EMAIL_HOST_PASSWORD": parsed["EMAIL_HOST_PASSWORD"] or "",
        "EMAIL_USE_TLS": parsed["EMAIL_USE_TLS"],
        "EMAIL_USE_SSL": parsed["EMAIL_USE_SSL"],
        "EMAIL_TIMEOUT": 30,
    }


globals().update(_email())
DEFAULT_FROM_EMAIL = env_str("CAREFRONT_FROM_EMAIL", "Carefront <carefront@localhost>")
# Email in: the SMTP listener's address (empty: none), an IMAP mailbox to poll, the largest message kept.
CAREFRONT_SMTP_LISTEN = env_str("CAREFRONT_SMTP_LISTEN", "")
CAREFRONT_IMAP_URL = env_secret("CAREFRONT_IMAP_URL") or ""
CAREFRONT_IMAP_POLL_SECONDS = env_int("CAREFRONT_IMAP_POLL_SECONDS", 60, minimum=5)
CAREFRONT_MAX_EMAIL_BYTES = env_int("CAREFRONT_MAX_EMAIL_BYTES", 50 * 1024 * 1024, minimum=1024)
# Email out: the domain of our Message-IDs, acknowledgements of new tickets (at most so many an hour to one
# address, so two robots cannot answer each other for ever), and the retry schedule of deferred mail.
CAREFRONT_MAIL_DOMAIN = env_str("CAREFRONT_MAIL_DOMAIN", _base.hostname or "localhost")
CAREFRONT_MAIL_ACKNOWLEDGE = env_bool("CAREFRONT_MAIL_ACKNOWLEDGE", True)
CAREFRONT_MAIL_ACK_PER_HOUR = env_int("CAREFRONT_MAIL_ACK_PER_HOUR", 3, minimum=0)
# Surveys: a contact is asked at most once per this many days (0: no limit); links expire after this many days.
CAREFRONT_SURVEY_QUIET_DAYS = env_int("CAREFRONT_SURVEY_QUIET_DAYS", 30, minimum=0)
CAREFRONT_SURVEY_LINK_DAYS = env_int("CAREFRONT_SURVEY_LINK_DAYS", 14, minimum=1)
CAREFRONT_MAIL_RETRY_SECONDS = env_int("CAREFRONT_MAIL_RETRY_SECONDS", 60, minimum=1)
CAREFRONT_MAIL_MAX_ATTEMPTS = env_int("CAREFRONT_MAIL_MAX_ATTEMPTS", 8, minimum=1)


def _huey() -> dict[str, Any]:
    queue_url = env_str("CAREFRONT_QUEUE_URL", "")
    # A name of its own lets several installations (or test runs) share one Redis database.
    common: dict[str, Any] = {"name": env_str("CAREFRONT_QUEUE_NAME", "carefront"), "immediate": False, "utc": True}
    if not queue_url:
        return {
            **common,
            "huey_class": "carefront.core.queue.EmbeddedHuey",
            "filename": str(DATA_DIR / "queue.sqlite3"),
        }
    parsed = urlparse(queue_url)
    if parsed.scheme not in {"redis", "rediss"}:
        raise ImproperlyConfigured(f"CAREFRONT_QUEUE_URL must be a redis:// URL, got {queue_url!r}")
    return {**common, "huey_class": "huey.RedisHuey", "url": queue_url}


HUEY = _huey()
QUEUE_BACKEND = "redis" if HUEY["huey_class"] == "huey.RedisHuey" else "sqlite"

CAREFRONT_AUTO_CLOSE_DAYS = env_int("CAREFRONT_AUTO_CLOSE_DAYS", 4, minimum=1)
# An overdue dependency's contact is reminded at most once in this many days.
CAREFRONT_DEPENDENCY_REMINDER_DAYS = env_int("CAREFRONT_DEPENDENCY_REMINDER_DAYS", 3, minimum=1)
# Check-ins are created this many days ahead (and always the next one of each cadence).
CAREFRONT_CHECKIN_HORIZON_DAYS = env_int("CAREFRONT_CHECKIN_HORIZON_DAYS", 30, minimum=1)
# The advisor is reminded of a check-in this many hours before it starts.
CAREFRONT_CHECKIN_REMINDER_HOURS = env_int("CAREFRONT_CHECKIN_REMINDER_HOURS", 24, minimum=1)
# A check-in not logged as held this many hours after its end is marked missed.
CAREFRONT_CHECKIN_GRACE_HOURS = env_int("CAREFRONT_CHECKIN_GRACE_HOURS", 24, minimum=1)
# The advisors' morning recommendations (relationships.services_recommendations): after this local hour, each
# advisor's list is made once a day; when each signal speaks up; how long one acted on or dismissed stays away.
CAREFRONT_RECOMMEND_MORNING_HOUR = env_int("CAREFRONT_RECOMMEND_MORNING_HOUR", 6, minimum=0)
CAREFRONT_RECOMMEND_NO_CONTACT_DAYS = env_int("CAREFRONT_RECOMMEND_NO_CONTACT_DAYS", 30, minimum=1)
CAREFRONT_RECOMMEND_SPEND_WINDOW_DAYS = env_int("CAREFRONT_RECOMMEND_SPEND_WINDOW_DAYS", 90, minimum=1)
CAREFRONT_RECOMMEND_SPEND_DROP_PERCENT = env_int("CAREFRONT_RECOMMEND_SPEND_DROP_PERCENT", 30, minimum=1)
CAREFRONT_RECOMMEND_RENEWAL_DAYS = env_int("CAREFRONT_RECOMMEND_RENEWAL_DAYS", 60, minimum=1)
CAREFRONT_RECOMMEND_GOAL_DAYS = env_int("CAREFRONT_RECOMMEND_GOAL_DAYS", 30, minimum=1)
CAREFRONT_RECOMMEND_SNOOZE_DAYS = env_int("CAREFRONT_RECOMMEND_SNOOZE_DAYS", 14, minimum=1)
if CAREFRONT_RECOMMEND_MORNING_HOUR > 23:
    raise ImproperlyConfigured("CAREFRONT_RECOMMEND_MORNING_HOUR must be an hour of the day, 0 to 23.")
# The weekly team-goals digest (insights.services_goals_digest): the ISO weekday (1 Monday … 7 Sunday) and the hour,
# in UTC like every scheduled job, at which it is sent.
CAREFRONT_GOALS_DIGEST_WEEKDAY = env_int("CAREFRONT_GOALS_DIGEST_WEEKDAY", 1, minimum=1)
CAREFRONT_GOALS_DIGEST_HOUR = env_int("CAREFRONT_GOALS_DIGEST_HOUR", 7, minimum=0)
if CAREFRONT_GOALS_DIGEST_WEEKDAY > 7:
    raise ImproperlyConfigured("CAREFRONT_GOALS_DIGEST_WEEKDAY must be an ISO weekday, 1 (Monday) to 7 (Sunday).")
if CAREFRONT_GOALS_DIGEST_HOUR > 23:
    raise ImproperlyConfigured("CAREFRONT_GOALS_DIGEST_HOUR must be an hour of the day, 0 to 23.")
if CAREFRONT_RECOMMEND_SPEND_DROP_PERCENT > 100:
    raise ImproperlyConfigured("CAREFRONT_RECOMMEND_SPEND_DROP_PERCENT must be a percentage, 1 to 100.")
# The currency of staff cost rates and of every account's cost to serve.
CAREFRONT_COST_CURRENCY = env_str("CAREFRONT_COST_CURRENCY", "EUR").upper()
if len(CAREFRONT_COST_CURRENCY) != 3 or not CAREFRONT_COST_CURRENCY.isalpha():
    raise ImproperlyConfigured("CAREFRONT_COST_CURRENCY must be a three-letter ISO 4217 code, such as EUR.")
CAREFRONT_MAGIC_LINK_MINUTES = env_int("CAREFRONT_MAGIC_LINK_MINUTES", 15, minimum=1)
CAREFRONT_WEB_CONCURRENCY = env_int("CAREFRONT_WEB_CONCURRENCY", 2, minimum=1)
CAREFRONT_WORKERS = env_int("CAREFRONT_WORKERS", 2, minimum=1)

LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CAREFRONT_LOG_LEVEL", "INFO")},
    # WeasyPrint logs each step of every PDF at INFO (weasyprint.progress).
    "loggers": {"django.db.backends": {"level": "INFO"}, "weasyprint": {"level": "WARNING"}},
}
