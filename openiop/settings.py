"""OpenIOP settings: one file, driven by environment variables (see README "Configuration").

Unset DATABASE_URL means SQLite in OPENIOP_DATA_DIR; a postgres:// URL means PostgreSQL with
Django's connection pool. Production is the default: DEBUG is off and SECRET_KEY is required,
unless OPENIOP_DEMO=1 (set by `openiop demo`) or DEBUG=1.
"""

import os
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from openiop.lib.env import SettingError, envbool, envint, envlist, envsecret

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("OPENIOP_DATA_DIR", BASE_DIR / "var")).resolve()

DEMO_MODE = envbool("OPENIOP_DEMO", False)
DEBUG = envbool("DEBUG", False)
TESTING = envbool("OPENIOP_TESTING", False)

SECRET_KEY = envsecret("SECRET_KEY")
if not SECRET_KEY:
    if DEMO_MODE or DEBUG or TESTING:
        # A fixed key is acceptable only where every record is synthetic.
        SECRET_KEY = "openiop-demo-only-not-secret-" + "x" * 40
    else:
        raise SettingError(
            "SECRET_KEY (or SECRET_KEY_FILE) must be set outside demo mode; "
            "generate one with: python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )

ALLOWED_HOSTS = envlist("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = envlist("CSRF_TRUSTED_ORIGINS", [])
# Addresses of reverse proxies in front of the app; their X-Forwarded-For names the client.
OPENIOP_TRUSTED_PROXIES = frozenset(envlist("OPENIOP_TRUSTED_PROXIES", []))
SITE_NAME = os.environ.get("OPENIOP_SITE_NAME", "OpenIOP")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "axes",
    "django_tasks_db",
    # domain apps: data and rules
    "openiop.accounts",
    "openiop.audit",
    "openiop.programs",
    "openiop.patients",
    "openiop.care",
    "openiop.privacy",
    "openiop.intake",
    "openiop.worklist",
    "openiop.measures",
    "openiop.plans",
    "openiop.scheduling",
    "openiop.attendance",
    "openiop.documentation",
    "openiop.medical",
    "openiop.demo",
    # audience apps: screens
    "openiop.public",
    "openiop.clinic",
    "openiop.portal",
    "openiop.fhir",
]

MIDDLEWARE = [
    # First, so the request id and the client's address are known to everything after it.
    "openiop.audit.middleware.RequestContextMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: an idle sign-out tells the person why they are back at the sign-in page.
    "openiop.accounts.middleware.IdleTimeoutMiddleware",
    # A browser handed to a patient as a check-in tablet reaches only /kiosk/ (portal/kiosk.py).
    "openiop.portal.kiosk.KioskMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "openiop.accounts.middleware.RequireStaffMFAMiddleware",
    # Axes last, as its documentation asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "openiop.urls"
WSGI_APPLICATION = "openiop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "openiop" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "openiop.accounts.context_processors.site",
            ],
        },
    },
]

# --- database -------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"].setdefault("OPTIONS", {})
        # Django's pool replaces persistent connections; the two must not be combined.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": envint("DATABASE_POOL_MIN", 2),
            "max_size": envint("DATABASE_POOL_MAX", 8),
            "timeout": 10,
        }
else:
    # The embedded default: one SQLite file in the data directory (created on first use).
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": DATA_DIR / "openiop.sqlite3",
            "OPTIONS": {
                # WAL lets the web server read while the demo loader or a command writes;
                # IMMEDIATE avoids "database is locked" on concurrent writes.
                "transaction_mode": "IMMEDIATE",
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "timeout": 20,
            },
        }
    }
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("OPENIOP_TEST_DB_NAME") or None}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {
    "default": {
        # Rate limits and lockouts need a cache that every worker process shares.
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "openiop_cache",
    }
}

# --- accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"username"}
ACCOUNT_SIGNUP_FIELDS = ["username*", "email*", "password1*", "password2*"]
ACCOUNT_ADAPTER = "openiop.accounts.adapter.AccountAdapter"
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED = False
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = SITE_NAME
# Staff must enrol in MFA outside demo mode (RequireStaffMFAMiddleware); demo offers it.
OPENIOP_REQUIRE_STAFF_MFA = envbool("OPENIOP_REQUIRE_STAFF_MFA", not DEMO_MODE)
# HIPAA 164.312(a)(2)(iii) automatic logoff: staff sessions end after this many idle seconds.
OPENIOP_STAFF_IDLE_SECONDS = envint("OPENIOP_STAFF_IDLE_SECONDS", 15 * 60)
OPENIOP_PORTAL_IDLE_SECONDS = envint("OPENIOP_PORTAL_IDLE_SECONDS", 30 * 60)
OPENIOP_BREAK_GLASS_HOURS = envint("OPENIOP_BREAK_GLASS_HOURS", 24)

AXES_FAILURE_LIMIT = envint("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = envint("AXES_COOLOFF_MINUTES", 30) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "login"
# allauth passes the username to authenticate() as `username`; read both (see the function).
AXES_USERNAME_CALLABLE = "openiop.accounts.lockout.username_for_lockout"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "account/locked_out.html"
AXES_VERBOSE = False

# The cache is the database too, so cached_db would only double the writes.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- email ----------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "openiop@localhost")
# The address patients reach the portal at, for links in reminder emails (`openiop measures remind`).
OPENIOP_BASE_URL = os.environ.get("OPENIOP_BASE_URL", "")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
_email_backend = os.environ.get("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend"
    if DEMO_MODE or DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
_email_options = {}
if _email_backend.endswith("smtp.EmailBackend"):
    _email_options = {
        "host": os.environ.get("EMAIL_HOST", "localhost"),
        "port": envint("EMAIL_PORT", 587),
        "username": os.environ.get("EMAIL_HOST_USER", ""),
        "password": envsecret("EMAIL_HOST_PASSWORD", "") or "",
        "use_tls": envbool("EMAIL_USE_TLS", True),
    }
MAILERS = {"default": {"BACKEND": _email_backend, "OPTIONS": _email_options}}

# --- background work ------------------------------------------------------------------------
# Django's tasks framework; the database backend works on SQLite and PostgreSQL and is run by
# `openiop db_worker` (started beside the server by `openiop demo`). Tests run tasks at once.
_tasks_backend = os.environ.get("OPENIOP_TASKS_BACKEND") or (
    "django.tasks.backends.immediate.ImmediateBackend" if TESTING else "django_tasks_db.DatabaseBackend"
)
TASKS = {"default": {"BACKEND": _tasks_backend, "QUEUES": ["default"]}}

# The demo's solver time for this week and next (past weeks get a fifth of it, at least 0.2 s).
# Tests build the demo clinic several times, so they give it less.
OPENIOP_DEMO_SOLVER_SECONDS = float(os.environ.get("OPENIOP_DEMO_SOLVER_SECONDS") or (1 if TESTING else 5))

# --- text messages (appointment reminders) --------------------------------------------------
# A dotted path to a class with `send(phone, text)`; console in demo and development, a file
# backend (OPENIOP_SMS_FILE_PATH) for inspection. Production sets its provider's adapter.
OPENIOP_SMS_BACKEND = os.environ.get("OPENIOP_SMS_BACKEND") or "openiop.scheduling.sms.ConsoleBackend"
OPENIOP_SMS_FILE_PATH = os.environ.get("OPENIOP_SMS_FILE_PATH", "")

# --- security headers -----------------------------------------------------------------------
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG and not DEMO_MODE and not TESTING:
    SECURE_SSL_REDIRECT = envbool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = envint("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = envbool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # TLS ends at the proxy in front of the app; it must set this header.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]

# Clinical documentation (issue 7): a note not signed this many hours after its session ended
# alerts its author and shows on the director's compliance list.
OPENIOP_UNSIGNED_NOTE_HOURS = envint("OPENIOP_UNSIGNED_NOTE_HOURS", 24)
# Attendance: unexcused absences within this many days that make "repeated absences" a task.
OPENIOP_REPEATED_ABSENCES = envint("OPENIOP_REPEATED_ABSENCES", 2)
OPENIOP_REPEATED_ABSENCES_DAYS = envint("OPENIOP_REPEATED_ABSENCES_DAYS", 14)

OPENIOP_FHIR_MRN_SYSTEM = os.environ.get("OPENIOP_FHIR_MRN_SYSTEM", "urn:openiop:mrn")

# --- i18n, static ---------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "openiop" / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not (DEBUG or DEMO_MODE or TESTING)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG or DEMO_MODE or TESTING
# Serve straight from the source folders in demo and tests, where `collectstatic` never runs.
WHITENOISE_AUTOREFRESH = WHITENOISE_USE_FINDERS

# --- logging: no PHI in logs ----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
    "loggers": {
        "django": {"level": os.environ.get("LOG_LEVEL", "WARNING")},
        # Not-found warnings carry the URL, and chart URLs carry an MRN: log errors only.
        "django.request": {"level": "ERROR"},
    },
}

if TESTING:
    # Argon2 is deliberately slow; tests do not need it to be.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGIN_URL_PATH = "/accounts/login/"
