"""Django settings for safesocial, read from environment variables (see README, "Settings").

Development defaults to an SQLite file under var/; `SAFESOCIAL_PRODUCTION=true` turns on the
hardened profile that `safesocial check --deploy --fail-level WARNING` accepts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONE, SELF

from safesocial.env import ImproperlySetError, env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent
VAR_DIR = Path(env_str("SAFESOCIAL_VAR_DIR", str(BASE_DIR.parent / "var")))

PRODUCTION = env_bool("SAFESOCIAL_PRODUCTION", False)
DEBUG = env_bool("SAFESOCIAL_DEBUG", not PRODUCTION)

if PRODUCTION:
    SECRET_KEY = env_str("SAFESOCIAL_SECRET_KEY")
    if len(SECRET_KEY) < 50:
        raise ImproperlySetError("SAFESOCIAL_SECRET_KEY must be at least 50 characters")
else:
    SECRET_KEY = env_str(
        "SAFESOCIAL_SECRET_KEY", "development-only-key-never-use-in-production-0123456789abcdef"
    )

ALLOWED_HOSTS = env_list(
    "SAFESOCIAL_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlySetError("SAFESOCIAL_ALLOWED_HOSTS must name the site's host names")
CSRF_TRUSTED_ORIGINS = env_list("SAFESOCIAL_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env_str("SAFESOCIAL_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "csp",
    "safesocial.audit",
    "safesocial.people",
    "safesocial.access",
    "safesocial.jobs",
    "safesocial.policies",
    "safesocial.concerns",
    "safesocial.netpolicy",
    "safesocial.monitoring",
    "safesocial.channels",
    "safesocial.reviews",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outermost after static files, so every response (early redirects too) gets the headers.
    "csp.middleware.CSPMiddleware",
    "safesocial.access.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "safesocial.access.middleware.SessionLimitsMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "safesocial.urls"
WSGI_APPLICATION = "safesocial.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "safesocial.people.context.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# SQLite by default: WAL so readers never block the writer, synchronous=FULL so a committed
# change survives power loss, IMMEDIATE transactions so two writers queue on the busy timeout
# instead of failing with "database is locked" when one upgrades a read lock.
SQLITE_PATH = VAR_DIR / "safesocial.sqlite3"
_database_url = env_str("DATABASE_URL", f"sqlite:///{SQLITE_PATH}")
DATABASES: dict[str, dict[str, Any]] = {
    "default": dict(
        dj_database_url.parse(_database_url, conn_max_age=0 if "sqlite" in _database_url else 60)
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": env_int("SAFESOCIAL_SQLITE_BUSY_TIMEOUT", 30),
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Authentication -------------------------------------------------------------------------
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Optional sign-in through OpenID Connect (README, "Sign-in with Microsoft Entra ID or Google").
OIDC_ENABLED = bool(env_str("SAFESOCIAL_OIDC_CLIENT_ID", ""))
OIDC_NAME = env_str("SAFESOCIAL_OIDC_NAME", "your organisation")
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("safesocial.access.oidc.SchoolAccountOIDCBackend")
    OIDC_RP_CLIENT_ID = env_str("SAFESOCIAL_OIDC_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = env_str("SAFESOCIAL_OIDC_CLIENT_SECRET")
    OIDC_OP_AUTHORIZATION_ENDPOINT = env_str("SAFESOCIAL_OIDC_AUTHORIZATION_ENDPOINT")
    OIDC_OP_TOKEN_ENDPOINT = env_str("SAFESOCIAL_OIDC_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = env_str("SAFESOCIAL_OIDC_USER_ENDPOINT")
    OIDC_RP_SIGN_ALGO = env_str("SAFESOCIAL_OIDC_SIGN_ALGO", "RS256")
    if OIDC_RP_SIGN_ALGO.startswith("RS"):
        OIDC_OP_JWKS_ENDPOINT = env_str("SAFESOCIAL_OIDC_JWKS_ENDPOINT")
OIDC_RP_SCOPES = "openid email"
OIDC_CREATE_USER = False
OIDC_USE_PKCE = True
OIDC_TIMEOUT = 10

# Lock an account and address pair out after repeated failures (django-axes).
AXES_FAILURE_LIMIT = env_int("SAFESOCIAL_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_ENABLE_ACCESS_FAILURE_LOG = False

# Sessions end after 30 minutes idle (refreshed on each request) and 12 hours after sign-in.
SESSION_COOKIE_AGE = 30 * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_ABSOLUTE_SECONDS = 12 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
OTP_TOTP_ISSUER = "safesocial"

# --- Headers --------------------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SAFESOCIAL_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 63072000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True

# --- Locale ---------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env_str("SAFESOCIAL_TIME_ZONE", "Europe/London")
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Collected files exist only in production; development serves them from the app folders.
STATIC_ROOT = (
    Path(env_str("SAFESOCIAL_STATIC_ROOT", str(VAR_DIR / "static"))) if PRODUCTION else None
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
# Uploaded evidence lives outside the web root and is only served by views that check access.
PRIVATE_FILES_DIR = Path(env_str("SAFESOCIAL_PRIVATE_FILES_DIR", str(VAR_DIR / "private")))

# Official channels: page tokens for publishing connectors are stored encrypted with this
# Fernet key (32 url-safe base64 bytes; generate one with
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`).
SAFESOCIAL_CHANNEL_TOKEN_KEY = env_str("SAFESOCIAL_CHANNEL_TOKEN_KEY", "")
SAFESOCIAL_FACEBOOK_GRAPH_URL = env_str(
    "SAFESOCIAL_FACEBOOK_GRAPH_URL", "https://graph.facebook.com/v21.0"
)

# --- Email ----------------------------------------------------------------------------------
EMAIL_HOST = env_str("SAFESOCIAL_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("SAFESOCIAL_EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("SAFESOCIAL_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env_str("SAFESOCIAL_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("SAFESOCIAL_EMAIL_TLS", False)
DEFAULT_FROM_EMAIL = env_str("SAFESOCIAL_EMAIL_FROM", "safesocial@localhost")
# Outside production, mail goes to files in var/mail/ (one per batch), not to a server and not
# over the console where a day's reminders for a whole staff would bury everything else.
EMAIL_BACKEND = env_str(
    "SAFESOCIAL_EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"

# --- Logging: no personal data, so only our own messages and request errors by status ----------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("SAFESOCIAL_LOG_LEVEL", "INFO")},
    # Third-party loggers that would write usernames or email addresses below WARNING.
    "loggers": {"axes": {"level": "WARNING"}, "mozilla_django_oidc": {"level": "WARNING"}},
}
