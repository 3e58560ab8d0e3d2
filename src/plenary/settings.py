"""Settings for Plenary.

Everything that differs between a demo and a production site comes from the environment:
DATABASE_URL, REDIS_URL, EMAIL_URL, PLENARY_SECRET_KEY, PLENARY_ALLOWED_HOSTS and
PLENARY_PRODUCTION. With none of them set, Plenary runs on a SQLite file under var/.
"""

import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import dj_database_url
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(os.environ.get("PLENARY_VAR_DIR", Path.cwd() / "var"))


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


PRODUCTION = _flag("PLENARY_PRODUCTION")
# Never on by default: a traceback must not reach a user. `plenary demo` turns it on (it sets
# PLENARY_DEBUG); a production site never has it, whatever the environment says.
DEBUG = _flag("PLENARY_DEBUG") and not PRODUCTION

_DEV_SECRET = "plenary-development-only-secret-key-not-for-production-use-0123456789"  # noqa: S105 (development only; production refuses to start without its own)
SECRET_KEY = os.environ.get("PLENARY_SECRET_KEY", "" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and len(SECRET_KEY) < 50:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("PLENARY_SECRET_KEY must be set to at least 50 characters.")

ALLOWED_HOSTS = [
    host.strip()
    for host in os.environ.get("PLENARY_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]").split(",")
    if host.strip()
]
CSRF_TRUSTED_ORIGINS = [
    origin.strip()
    for origin in os.environ.get("PLENARY_CSRF_TRUSTED_ORIGINS", "").split(",")
    if origin.strip()
]

INSTALLED_APPS = [
    # modeltranslation must come before the admin to patch it.
    "modeltranslation",
    "plenary.core.apps.PlenaryAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "rules.apps.AutodiscoverRulesConfig",
    "django_tasks",
    "django_tasks_db",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "plenary.core.apps.CoreConfig",
    "plenary.directory",
    "plenary.consultations",
    "plenary.planning",
    "plenary.registration",
    "plenary.contributions",
    "plenary.floor",
    "plenary.outcomes",
    "plenary.reports",
    "plenary.ballots",
    "plenary.remote",
    "plenary.setup",
    "plenary.membership",
    "plenary.people",
    "plenary.statements",
    "plenary.scenarios",
]

MIDDLEWARE = [
    # first, so that it is asked last about an error no other middleware answered
    "plenary.core.middleware.ApiServerErrorMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "plenary.core.middleware.UnknownLanguageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # before CSRF, which reads the form: a form that cannot be read is said so
    "plenary.core.middleware.FormErrorMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "plenary.core.middleware.RequireMFAMiddleware",
    "plenary.core.middleware.DomainErrorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "plenary.urls"
ASGI_APPLICATION = "plenary.asgi.application"
WSGI_APPLICATION = None

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
                "plenary.core.context_processors.plenary",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# SQLite (WAL, immediate transactions so that writers queue instead of failing) unless
# DATABASE_URL names another server.
_SQLITE_PATH = VAR_DIR / "plenary.sqlite3"
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{_SQLITE_PATH}", conn_max_age=0, conn_health_checks=True
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Tests use a file too, so that tests with several threads share one database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and channel layer: Redis when REDIS_URL is set -------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # An unreachable Redis is an error within seconds, not a request that hangs.
            "OPTIONS": {"socket_connect_timeout": 3, "socket_timeout": 3},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL]},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# --- Background work --------------------------------------------------------------------
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# `plenary worker` enqueues a heartbeat at this interval; /health reports the worker down
# when none ran for the second figure, or when a ready task waits beyond the third.
PLENARY_WORKER_HEARTBEAT_SECONDS = int(os.environ.get("PLENARY_WORKER_HEARTBEAT_SECONDS", "30"))
PLENARY_WORKER_SILENT_AFTER_SECONDS = int(
    os.environ.get("PLENARY_WORKER_SILENT_AFTER_SECONDS", "120")
)
PLENARY_TASK_OVERDUE_AFTER_SECONDS = int(
    os.environ.get("PLENARY_TASK_OVERDUE_AFTER_SECONDS", "300")
)
# A task still running after this long, for a worker silent for the second figure above, lost
# its worker: it is queued again (core.tasks.recover_abandoned_tasks), up to this many tries.
PLENARY_TASK_ABANDONED_AFTER_SECONDS = int(
    os.environ.get("PLENARY_TASK_ABANDONED_AFTER_SECONDS", "600")
)
PLENARY_TASK_MAX_ATTEMPTS = int(os.environ.get("PLENARY_TASK_MAX_ATTEMPTS", "3"))
# Threads of each web process for the live floor's database work (floor/db.py).
PLENARY_FLOOR_DB_THREADS = int(os.environ.get("PLENARY_FLOOR_DB_THREADS", "4"))

# --- Request bodies ---------------------------------------------------------------------
# Refused before Django reads them (plenary.core.limits): the addresses that take a file
# allow the largest file (contributions.filecheck.MAX_BYTES, 10 MB; the agenda's and the
# seat lists' files are smaller) and the rest of its form; everything else much less.
PLENARY_MAX_UPLOAD_FILE_BYTES = 10 * 1024 * 1024
PLENARY_MAX_UPLOAD_BODY_BYTES = int(
    os.environ.get("PLENARY_MAX_UPLOAD_BODY_BYTES", PLENARY_MAX_UPLOAD_FILE_BYTES + 256 * 1024)
)
PLENARY_MAX_BODY_BYTES = int(os.environ.get("PLENARY_MAX_BODY_BYTES", 1024 * 1024))

# --- Accounts ---------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "rules.permissions.ObjectPermissionBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "optional"
ACCOUNT_ADAPTER = "plenary.core.accounts.AccountAdapter"
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Plenary"
# A code of the previous or next 30-second period is accepted too: a person on a slow link,
# or a phone whose clock drifts, is not refused a code they typed in time.
MFA_TOTP_TOLERANCE = 1
# Roles whose holders must have a second factor before they may do anything else.
PLENARY_MFA_REQUIRED_ROLES = ["secretariat"]

# --- Languages and time -----------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("ar", _("Arabic")),
    ("zh-hans", _("Chinese")),
    ("en", _("English")),
    ("fr", _("French")),
    ("ru", _("Russian")),
    ("es", _("Spanish")),
]
LANGUAGES_BIDI = ["ar"]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "plenary_language"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)

# --- Static files -----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "static"
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "media/"
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}


# --- E-mail -----------------------------------------------------------------------------
def _email_settings(url: str) -> dict:
    """Read EMAIL_URL: smtp://user:pass@host:port, smtp+tls://…, smtp+ssl://…, console:, file:///dir."""
    if not url:
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(VAR_DIR / "mail"),
        }
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "file":
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": unquote(parts.path),
        }
    options = parse_qs(parts.query)
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "127.0.0.1",
        "EMAIL_PORT": parts.port or 25,
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
        "EMAIL_USE_SSL": parts.scheme == "smtp+ssl",
        "EMAIL_TIMEOUT": int(options.get("timeout", ["20"])[0]),
    }


globals().update(_email_settings(os.environ.get("EMAIL_URL", "")))
DEFAULT_FROM_EMAIL = os.environ.get("PLENARY_FROM_EMAIL", "Plenary <plenary@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security ---------------------------------------------------------------------------
# Content Security Policy (django-csp): scripts only from our own static files, never
# inline; the live pages' WebSocket is same-origin ('self' covers ws: and wss: there).
# Styles allow inline style attributes: a few templates still set widths and line breaks
# with them (a style attribute cannot run code).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [
            SELF,
            *filter(None, [os.environ.get("PLENARY_LIVEKIT_URL", "").strip()]),
        ],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
    }
}
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = _flag("PLENARY_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {
        "handlers": ["console"],
        "level": os.environ.get("PLENARY_LOG_LEVEL", "WARNING").upper(),
    },
}
# Rate limits: (requests, seconds) per client address.
PLENARY_RATE_LIMITS = {"join": (30, 60), "register": (20, 600), "support": (10, 600)}
# Files a person may upload as contributions per hour (per account, not per address).
PLENARY_UPLOADS_PER_HOUR = int(os.environ.get("PLENARY_UPLOADS_PER_HOUR", "30"))
PLENARY_RATE_LIMITS["upload"] = (PLENARY_UPLOADS_PER_HOUR, 3600)
# How long an invitation to staff a consultation stays valid (plenary.people).
PLENARY_INVITATION_DAYS = int(os.environ.get("PLENARY_INVITATION_DAYS", "14"))
PLENARY_BASE_URL = os.environ.get("PLENARY_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
# A personal link's e-mail waits this long in the outbox, so that a change of role close
# behind it replaces it (one e-mail, with the link that works: registration.services.send_link).
PLENARY_LINK_MAIL_DELAY_SECONDS = int(os.environ.get("PLENARY_LINK_MAIL_DELAY_SECONDS", "60"))

# --- Remote participation ---------------------------------------------------------------
# A LiveKit server for consultations that use it (the secret never goes to the database).
PLENARY_LIVEKIT_URL = os.environ.get("PLENARY_LIVEKIT_URL", "")
PLENARY_LIVEKIT_API_KEY = os.environ.get("PLENARY_LIVEKIT_API_KEY", "")
PLENARY_LIVEKIT_API_SECRET = os.environ.get("PLENARY_LIVEKIT_API_SECRET", "")
