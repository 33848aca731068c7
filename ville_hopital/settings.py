"""Settings for Ville-Hôpital: the only module that reads the environment.

Two environments:
- ``development`` (default): the embedded set-up of a laptop — SQLite, Celery eager, console email.
- ``production`` (``VH_ENVIRONMENT=production``): PostgreSQL, Redis, SMTP, HTTPS-only cookies;
  refuses to start without a strong ``SECRET_KEY`` and explicit ``ALLOWED_HOSTS``.

Every value is parsed strictly (see ``ville_hopital.envparse``): a misspelt value stops the start.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

from csp.constants import NONE as CSP_NONE
from csp.constants import SELF as CSP_SELF
from csp.constants import UNSAFE_INLINE as CSP_UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ville_hopital import envparse

BASE_DIR = Path(__file__).resolve().parent.parent
ENV = os.environ

ENVIRONMENT = envparse.parse_choice(ENV, "VH_ENVIRONMENT", "development", envparse.ENVIRONMENTS)
PRODUCTION = ENVIRONMENT == "production"

DEBUG = envparse.parse_bool(ENV, "DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")

SECRET_KEY = envparse.parse_secret_key(
    ENV, "SECRET_KEY", production=PRODUCTION, dev_default="dev-only-insecure-key-never-used-in-production"
)
ALLOWED_HOSTS = envparse.parse_list(ENV, "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production (comma-separated host names).")
CSRF_TRUSTED_ORIGINS = envparse.parse_list(ENV, "CSRF_TRUSTED_ORIGINS", [])
SITE_URL = ENV.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
#: The name emails and pages give the platform (the Site row is set from it and SITE_URL at migrate).
SITE_NAME = "Ville-Hôpital"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.humanize",  # allauth's list of passkeys ("added 3 days ago")
    "allauth",
    "allauth.account",
    "allauth.mfa",  # second factor: TOTP, recovery codes, WebAuthn passkeys (ville_hopital.second_factor)
    "allauth.socialaccount",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    # Base layers: they import none of the domain apps.
    "accounts",
    "territories",
    "reference",
    "notifications",  # one notification service for every part of the platform
    "directories",  # the RPPS and FINESS public extractions, as data (docs/directories.md)
    # Domain apps.
    "establishments",
    "professionals",
    "professionals.pro_sante_connect",  # sign-in with the e-CPS; the RPPS it vouches for
    "missions",
    "dashboards",  # ARS read side: sits on top of missions
    "webhooks",  # an establishment's HTTPS subscriptions to its events (missions emit them)
    "ville_hopital",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before CSRF and the views: a control character in any field is refused with a 400 naming it.
    "ville_hopital.input_hygiene.InputHygieneMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # After authentication: who must have a second factor and has none is sent to enrol.
    "ville_hopital.second_factor.SecondFactorMiddleware",
]

if PRODUCTION:
    # gunicorn serves static files through WhiteNoise; runserver and the test server do it themselves.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "ville_hopital.urls"
WSGI_APPLICATION = "ville_hopital.wsgi.application"

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

# --- Database -------------------------------------------------------------------------------
DATABASES = {"default": envparse.parse_database_url(ENV, "DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
SILENCED_SYSTEM_CHECKS: list[str] = []
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The dashboards' covering indexes (INCLUDE) are a PostgreSQL feature; SQLite builds them without
    # the extra columns, which only costs speed on the embedded demo data.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
    # The embedded set-up serves requests in threads beside the in-process scheduler. SQLite ignores
    # ``select_for_update``; with its default (deferred) transactions two writers both read, then the
    # second to write fails at once with "database is locked" (a 500 on a double tap on « Accepter »).
    # ``BEGIN IMMEDIATE`` takes the write lock when ``transaction.atomic`` opens, so writers queue
    # (up to ``timeout`` seconds) and the second one re-reads what the first committed; WAL lets
    # readers go on while one writes.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
DATABASES["default"]["CONN_MAX_AGE"] = envparse.parse_int(ENV, "CONN_MAX_AGE", 60 if PRODUCTION else 0)
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A persistent connection the database dropped (restart, failover) is checked before reuse, not
# discovered by the next request as a 500.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

# --- Redis: Celery broker and cache ---------------------------------------------------------
REDIS_URL = envparse.parse_redis_url(ENV, "REDIS_URL")
if PRODUCTION and REDIS_URL is None:
    raise ImproperlyConfigured("REDIS_URL must be set in production (Celery broker and cache).")

CELERY_TIMEZONE = "Europe/Paris"
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the message for a retry
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Redis down must not hold a request (a booking once waited ~76 s on publish retries, then answered
# 500 with the mission booked): one connection attempt of at most a second, one quick publish retry;
# a task lost that way is caught by its periodic safety net (see ville_hopital.task_queue).
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True  # the worker, not a request, waits for Redis at start
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
# Nothing reads a task's return value in production; subscribing to it is what blocked longest (the
# result store's reconnect retries, ~20 s). Tests that wait for a worker's answer ask for it.
CELERY_TASK_IGNORE_RESULT = True
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_RESULT_BACKEND = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 1}
    CELERY_TASK_ALWAYS_EAGER = False
    # A cache that answers "nothing cached" while Redis is away (ville_hopital.cache): pages, sign-in
    # and dashboards keep working, slower; rate limits are not counted meanwhile.
    CACHES = {"default": {"BACKEND": "ville_hopital.cache.TolerantRedisCache", "LOCATION": REDIS_URL,
                          "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1}}}
else:
    # Embedded default: no broker, tasks run in the caller's process at on_commit time.
    CELERY_BROKER_URL = "memory://"
    CELERY_RESULT_BACKEND = None
    CELERY_TASK_ALWAYS_EAGER = True
    CELERY_TASK_EAGER_PROPAGATES = True
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BEAT_SCHEDULE: dict = {}  # filled by ville_hopital.celery from each app's schedule

# --- Authentication (django-allauth) --------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
SITE_ID = 1
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "accounts.passwords.PlatformWordsValidator"},
]
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
# Nobody learns from our pages whether an address has an account. Sign-up with a taken address
# answers exactly like a new one (the "check your email" page) and creates nothing; the address's
# owner is emailed "an account already exists: sign in or reset your password"
# (templates/account/email/account_already_exists_*). A password reset for an unknown address
# answers like a known one, and the address is emailed "no account with this address"
# (unknown_account_*): only the owner of the mailbox learns it, it helps whoever forgot which
# address they signed up with, and both paths then take the same time (each sends one email).
# allauth's reset rate limit (per IP and per address) bounds how often that can be sent.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS = True
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {"signup": "accounts.forms.SignupForm"}
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = "https" if PRODUCTION else "http"
LOGIN_REDIRECT_URL = "home"
LOGIN_URL = "account_login"

# --- Second factor (allauth.mfa; ville_hopital.second_factor, ville_hopital.reauthentication) ---
# Required for platform staff, ARS staff and establishment admins / HR (ville_hopital.roles), offered
# to everyone else on their account page: an authenticator app (TOTP) with recovery codes, or a
# passkey (WebAuthn), which also signs in alone (allauth then requires user verification: PIN or
# biometrics, so it is two factors in one).
MFA_ADAPTER = "ville_hopital.second_factor.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_TOTP_ISSUER = SITE_NAME
MFA_TOTP_TOLERANCE = 1  # the previous and next codes too: a phone's clock a few seconds off still works
MFA_PASSKEY_LOGIN_ENABLED = True
# WebAuthn wants HTTPS; only a development or test server (http://localhost) is let off.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Sensitive actions (inviting a member, signing a contract, enrolling or removing a factor) need an
# authentication this recent, the sign-in included; past it allauth asks again — for the second
# factor when the account has one (accounts.adapter offers it nothing else).
ACCOUNT_REAUTHENTICATION_TIMEOUT = envparse.parse_int(ENV, "REAUTHENTICATION_SECONDS", 300, minimum=30)
ACCOUNT_REAUTHENTICATION_METHODS = ("password", "mfa")
# A personal API token stops working this many days after it was issued; asking again (password and
# second factor) gives a new one (accounts.services.api_token_issue; the page « Jeton d'API »).
API_TOKEN_LIFETIME = timedelta(days=envparse.parse_int(ENV, "API_TOKEN_LIFETIME_DAYS", 90, minimum=1))
# Requests per minute allowed to one establishment integration token (establishments.throttling): 429 past it.
INTEGRATION_TOKEN_REQUESTS_PER_MINUTE = envparse.parse_int(ENV, "INTEGRATION_TOKEN_REQUESTS_PER_MINUTE", 600, minimum=1)

# --- Pro Santé Connect (OpenID Connect; docs/pro-sante-connect.md) ---------------------------
# The e-CPS sign-in: off (no button, no route answering) until the three PSC_* values are set.
_psc = envparse.parse_openid_client(ENV, "PSC_", production=PRODUCTION)
PSC_ISSUER, PSC_CLIENT_ID, PSC_CLIENT_SECRET = _psc["issuer"], _psc["client_id"], _psc["client_secret"]
PSC_SCOPES = ENV.get("PSC_SCOPES", "openid scope_all").split()
PSC_ACR_VALUES = ENV.get("PSC_ACR_VALUES", "eidas1").strip()  # also the acr the ID token must carry
SOCIALACCOUNT_ADAPTER = "professionals.pro_sante_connect.adapter.SocialAccountAdapter"
SOCIALACCOUNT_EMAIL_REQUIRED = True  # PSC gives no address: asked, then verified like any other
SOCIALACCOUNT_STORE_TOKENS = False  # nothing calls PSC on the person's behalf later

# --- Email ----------------------------------------------------------------------------------
EMAIL_URL = ENV.get("EMAIL_URL", "")
if EMAIL_URL:
    _email = __import__("environ").Env.email_url_config(EMAIL_URL)
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email.get("EMAIL_HOST", "")
    EMAIL_PORT = _email.get("EMAIL_PORT") or 25
    EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
    EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
elif PRODUCTION:
    raise ImproperlyConfigured("EMAIL_URL must be set in production (e.g. smtp+tls://user:pass@host:587).")
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = ENV.get("DEFAULT_FROM_EMAIL", "Ville-Hôpital <noreply@ville-hopital.fr>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- SMS (notifications.sms): console in the embedded default, Brevo's HTTP API in production --
SMS_BACKEND = ENV.get("SMS_BACKEND", "notifications.sms.ConsoleSmsBackend")
SMS_API_URL = ENV.get("SMS_API_URL", "https://api.brevo.com/v3/transactionalSMS/sms")
SMS_API_KEY = ENV.get("SMS_API_KEY", "")
SMS_SENDER = ENV.get("SMS_SENDER", "VHopital")  # Brevo: at most 11 alphanumeric characters
SMS_TIMEOUT = envparse.parse_int(ENV, "SMS_TIMEOUT", 15, minimum=1)
EMAIL_TIMEOUT = envparse.parse_int(ENV, "EMAIL_TIMEOUT", 30, minimum=1)
NOTIFICATIONS_RETRY_BASE_SECONDS = envparse.parse_int(ENV, "NOTIFICATIONS_RETRY_BASE_SECONDS", 30, minimum=1)

# --- Webhooks (webhooks/, docs/webhooks.md) ---------------------------------------------------
#: Seconds a delivery waits for the receiver (connect, then each read) before it counts as failed.
WEBHOOK_TIMEOUT_SECONDS = envparse.parse_int(ENV, "WEBHOOK_TIMEOUT_SECONDS", 5, minimum=1)
#: The CA bundle (a PEM file) deliveries verify the receiver's certificate with; empty: the system's.
WEBHOOK_CA_BUNDLE = ENV.get("WEBHOOK_CA_BUNDLE", "")
#: Lets a webhook URL resolve to the loopback address (127.0.0.1, ::1). Off everywhere but in the
#: tests, which turn it on (``settings`` fixture) to deliver to a real HTTPS server on 127.0.0.1:
#: on a server, a loopback URL would let an establishment make the platform call itself.
WEBHOOK_ALLOW_LOOPBACK = envparse.parse_bool(ENV, "WEBHOOK_ALLOW_LOOPBACK", default=False)
#: Deliveries connect to the loopback only: the tests (tests/conftest.py) and any machine whose
#: traffic must stay on it. Subscriptions naming public addresses are still accepted and their
#: deliveries fail with a message saying why — a test never sends a request off the machine.
WEBHOOK_LOOPBACK_ONLY = envparse.parse_bool(ENV, "WEBHOOK_LOOPBACK_ONLY", default=False)

# --- Internationalisation -------------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(ENV.get("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        # DRF's token check, plus an audit row once an hour per token (accounts.authentication); a
        # token of someone whose role requires a second factor is refused until they enrol.
        "ville_hopital.second_factor.EnrolledTokenAuthentication",
        # An establishment's integration token (Authorization: Bearer vh_it_…): 401 when unknown,
        # revoked or expired; every use audited (establishments.authentication).
        "establishments.authentication.IntegrationTokenAuthentication",
    ],
    # Per integration token (INTEGRATION_TOKEN_REQUESTS_PER_MINUTE); other requests are not counted.
    "DEFAULT_THROTTLE_CLASSES": ["establishments.throttling.IntegrationTokenThrottle"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "ville_hopital.api_schema.ApiSchema",
    "DEFAULT_PAGINATION_CLASS": "ville_hopital.pagination.BoundedPagination",
    # Each list declares its filters once (a django-filter FilterSet); an unknown value answers 400.
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # A service's refusal (Django's ValidationError) answers 400 naming its fields, never a 500.
    "EXCEPTION_HANDLER": "ville_hopital.api_errors.exception_handler",
    "PAGE_SIZE": 50,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ville-Hôpital API",
    "DESCRIPTION": "Reinforcement shifts for freelance health professionals.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # A response's read-only fields (ids, computed values) are not asked for in the request bodies:
    # ``Shift`` and ``ShiftRequest`` are two components (a generated client requires only what it sends).
    "COMPONENT_SPLIT_REQUEST": True,
    # One name per state vocabulary, whichever serializer shows it (else drf-spectacular names the
    # colliding ``state`` enums by a hash, and the generated client's types change with the code).
    "ENUM_NAME_OVERRIDES": {
        "ShiftStateEnum": "establishments.models.ShiftState", "MissionStateEnum": "missions.core.models.MissionState",
        "OfferStateEnum": "missions.core.models.ProposalState", "ContractStateEnum": "missions.contracts.models.ContractState",
        "WebhookEventEnum": "webhooks.models.WebhookEvent", "WebhookStateEnum": "webhooks.models.SubscriptionState",
        "WebhookDeliveryStateEnum": "webhooks.models.DeliveryState",
        "OfferSourceEnum": "missions.core.models.ProposalSource", "CancelledByEnum": "missions.core.models.CancelledBy",
        "ContractRouteEnum": "reference.models.RouteKind",
        "CredentialKindEnum": "professionals.models.CredentialKind", "AvailabilitySlotEnum": "professionals.models.Slot",
    },
    # Errors as one ``Error`` component (ville_hopital.api_schema), after the enums' own hook.
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "ville_hopital.api_schema.error_component"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Without deep links, an operation's path is plain text, not a link inside its toggle button
    # (a focusable control nested in another: axe-core's nested-interactive).
    "SWAGGER_UI_SETTINGS": {"deepLinking": False},
}

# --- Security (production) ------------------------------------------------------------------
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = envparse.parse_bool(ENV, "SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if PRODUCTION else None
# How many reverse proxies we run in front of the app (TLS proxy: 1). The client's address (e.g. the
# IP recorded with a contract signature) is then read from X-Forwarded-For, that many entries from
# the right; with 0 the header is ignored (anyone can send it) and REMOTE_ADDR is used.
TRUSTED_PROXY_HOPS = envparse.parse_int(ENV, "TRUSTED_PROXY_HOPS", 0, minimum=0)
SECURE_HSTS_SECONDS = 31_536_000 if PRODUCTION else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): scripts only from our own static files — no inline script, no
# eval — so a script slipped into a name or a message cannot run. Inline styles stay allowed (the
# pages' small <style> blocks and the charts' SVG attributes). The API's documentation pages
# (drf-spectacular's Swagger and ReDoc start themselves inline) are left out; they show no user data.
CONTENT_SECURITY_POLICY = {
    "EXCLUDE_URL_PREFIXES": ["/api/docs/", "/api/redoc/"],
    "DIRECTIVES": {
        "default-src": [CSP_SELF],
        "script-src": [CSP_SELF],
        "style-src": [CSP_SELF, CSP_UNSAFE_INLINE],
        "img-src": [CSP_SELF, "data:"],
        "font-src": [CSP_SELF],
        "connect-src": [CSP_SELF],
        "object-src": [CSP_NONE],
        "base-uri": [CSP_SELF],
        # The PSC button posts to our page, which redirects to PSC's: browsers hold that redirect
        # to form-action too.
        "form-action": [CSP_SELF, *([envparse.origin_of(PSC_ISSUER)] if PSC_ISSUER else [])],
        "frame-ancestors": [CSP_NONE],
    },
}

# --- Logging: one JSON object per line, so log shippers need no parsing rules ----------------
LOG_LEVEL = envparse.parse_choice(ENV, "LOG_LEVEL", "INFO", frozenset({"DEBUG", "INFO", "WARNING", "ERROR"}))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "ville_hopital.jsonlog.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}

# --- Domain settings ------------------------------------------------------------------------
MATCHING_HORIZON_DAYS = envparse.parse_int(ENV, "MATCHING_HORIZON_DAYS", 30, minimum=1)
PROPOSAL_TTL_HOURS = envparse.parse_int(ENV, "PROPOSAL_TTL_HOURS", 24, minimum=1)

# --- Personal data retention (ville_hopital.privacy.retention_purge, daily; docs/privacy.md) ----
PRIVACY_READ_NOTIFICATION_MONTHS = envparse.parse_int(ENV, "PRIVACY_READ_NOTIFICATION_MONTHS", 6, minimum=1)
PRIVACY_CLOSED_PROPOSAL_MONTHS = envparse.parse_int(ENV, "PRIVACY_CLOSED_PROPOSAL_MONTHS", 12, minimum=1)
PRIVACY_UNVERIFIED_SIGNUP_DAYS = envparse.parse_int(ENV, "PRIVACY_UNVERIFIED_SIGNUP_DAYS", 30, minimum=1)
