"""Roomclaim settings: every value comes from the environment (django-environ).

The defaults run with no other service: SQLite, an in-process cache and an in-memory
channel layer. ``DATABASE_URL`` moves the data to PostgreSQL and ``REDIS_URL`` moves the
booking locks, the cache and the channel layer to Redis, which is what lets several
server processes share them.
"""

from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=True)
HTTPS = env.bool("HTTPS", default=False)

if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-secret-key-not-for-production")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
else:
    SECRET_KEY = env.str("SECRET_KEY")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic.runserver_nostatic",
    "django.contrib.staticfiles",
    "channels",
    "csp",
    "axes",
    "ninja",  # the API's readable docs (/api/v1/docs), with its own copy of Swagger UI: no CDN
    "teachers",
    "rooms",
    "bookings",
]

MIDDLEWARE = [
    "config.logs.RequestLogMiddleware",  # only with LOG_REQUESTS
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "config.answers.PermissionsPolicyMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language from the browser (or the language cookie); a teacher's own choice wins
    # below, once we know who it is.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "teachers.middleware.TeacherLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "config.answers.ProblemMiddleware",
    # Last, as django-axes asks: it answers a locked-out account's login.
    "axes.middleware.AxesMiddleware",
]

# Served by a WSGI server (config/wsgi.py), static files are served in front of Django and
# the async-only ServeStatic middleware would only add a hand-off to every request.
if env.str("SERVER_INTERFACE", default="asgi") == "wsgi":
    MIDDLEWARE.remove("servestatic.middleware.ServeStaticMiddleware")

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

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
# Inputs, selects and checkbox lists written in Python, to the HTML of Django's templates.
FORM_RENDERER = "config.widgets.WidgetRenderer"

# --- Database -------------------------------------------------------------------------

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE makes every transaction take SQLite's write lock at BEGIN, so two
    # claims serialize instead of failing with "database is locked" at COMMIT.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    # Time limits, so that one stuck process (or a network that drops packets) cannot
    # stall the others: a claim waits at most DB_LOCK_TIMEOUT for a room's row lock, a
    # statement runs at most DB_STATEMENT_TIMEOUT, a transaction left open by a frozen
    # process is ended after DB_IDLE_IN_TRANSACTION_TIMEOUT, and a dead peer is noticed
    # within seconds (TCP keepalives and user timeout), not after two hours.
    milliseconds = {
        "lock_timeout": env.float("DB_LOCK_TIMEOUT", default=3),
        "statement_timeout": env.float("DB_STATEMENT_TIMEOUT", default=5),
        "idle_in_transaction_session_timeout": env.float("DB_IDLE_IN_TRANSACTION_TIMEOUT", default=5),
    }
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": env.int("DB_CONNECT_TIMEOUT", default=3),
            "options": " ".join(f"-c {name}={int(seconds * 1000)}" for name, seconds in milliseconds.items()),
            "keepalives": 1,
            "keepalives_idle": 5,
            "keepalives_interval": 2,
            "keepalives_count": 3,
            "tcp_user_timeout": int(env.float("DB_TCP_USER_TIMEOUT", default=10) * 1000),
            "application_name": env.str("DB_APPLICATION_NAME", default="roomclaim"),
        }
    )
    # Django reads a form's choices (a building's select, the features) through a server-side
    # cursor: three round trips (DECLARE, FETCH, CLOSE) for a few rows. Nothing here reads
    # more rows than fit in memory at once.
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    if env.bool("DB_POOL", default=True):
        # Under ASGI every request runs its sync code on a thread of its own, so connections
        # per thread would grow with the load until PostgreSQL refuses clients. A pool per
        # process caps them; a request waits for a free connection instead, for at most
        # DB_POOL_TIMEOUT, and a connection is checked before it is handed out, so one
        # broken by an outage is replaced instead of failing a request.
        DATABASES["default"]["CONN_MAX_AGE"] = 0
        DATABASES["default"]["CONN_HEALTH_CHECKS"] = True  # the pool checks on checkout
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env.int("DB_POOL_MIN", default=2),
            "max_size": env.int("DB_POOL_MAX", default=10),
            "timeout": env.float("DB_POOL_TIMEOUT", default=5),
        }
        # The same backend, which stops asking a pool that just timed out: a request's
        # 503 comes within DB_POOL_TIMEOUT, not once per database access.
        DATABASES["default"]["ENGINE"] = "config.postgres"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "teachers.Teacher"

# --- Cache, locks and channel layer ---------------------------------------------------

REDIS_URL = env.str("REDIS_URL", default="")
# Redis is an accelerator: an unreachable Redis must cost milliseconds. Past this many
# seconds a lock store or live-channel operation counts as failed, and for
# LOCK_STORE_RETRY_SECONDS after a failure the lock store is not asked again (holds and
# claims go on under the database's guarantee meanwhile).
REDIS_TIMEOUT = env.float("REDIS_TIMEOUT", default=0.25)
# Publishing an event must never hold a booking up for longer than this.
EVENT_PUBLISH_TIMEOUT = env.float("EVENT_PUBLISH_TIMEOUT", default=1.0)

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "roomclaim",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub sends a group message once per process, not once per socket.
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # Several installations (or a benchmark) may share one Redis: pub/sub ignores
            # the database number, so each keeps to its own prefix.
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_connect_timeout": REDIS_TIMEOUT,
                        # A frozen Redis fails a subscribe or publish instead of hanging it.
                        "socket_timeout": EVENT_PUBLISH_TIMEOUT,
                    }
                ],
                "prefix": env.str("CHANNEL_LAYER_PREFIX", default="roomclaim"),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

BOOKING_LOCK_SECONDS = env.int("BOOKING_LOCK_SECONDS", default=30)
# A dialog's hold is bounded: rooms one teacher holds at once, and how long one teacher's
# renewals may keep one period held without booking it (then others get a turn).
HOLDS_PER_TEACHER = env.int("HOLDS_PER_TEACHER", default=2)
# Live sockets one session may keep open on one server process (a teacher's tabs).
SOCKETS_PER_SESSION = env.int("SOCKETS_PER_SESSION", default=20)
HOLD_LIMIT_SECONDS = env.int("HOLD_LIMIT_SECONDS", default=3 * BOOKING_LOCK_SECONDS)
# How long a room freed by a cancellation is held for the first teacher on its waitlist:
# against any overlapping claim by anyone else, for the whole window.
WAITLIST_OFFER_SECONDS = env.int("WAITLIST_OFFER_SECONDS", default=300)
# From which hour of the day (the school's time) approvers who chose a daily mail of the
# open requests get it.
REQUEST_DIGEST_HOUR = env.int("REQUEST_DIGEST_HOUR", default=7)
# (REDIS_TIMEOUT: with the cache above.)
LOCK_STORE_RETRY_SECONDS = env.float("LOCK_STORE_RETRY_SECONDS", default=2)
# How often each process checks that its live channel (Redis) is there and unchanged.
LIVE_PROBE_SECONDS = env.float("LIVE_PROBE_SECONDS", default=1)
# When the database fails while a claim commits, how long to look for the booking
# before answering that the outcome is unknown.
CLAIM_VERIFY_SECONDS = env.float("CLAIM_VERIFY_SECONDS", default=5)
# One process with nothing shared (make run sets it): the sweep and the outbox run as
# threads of the server, the only place that sees its in-process locks and live channel.
EMBEDDED_WORKERS = env.bool("EMBEDDED_WORKERS", default=False)
EMBEDDED_SWEEP_SECONDS = env.float("EMBEDDED_SWEEP_SECONDS", default=5)
# Requests handled at once by one process; past it, 503 with Retry-After at once.
MAX_REQUESTS_IN_FLIGHT = env.int("MAX_REQUESTS_IN_FLIGHT", default=64)
# The biggest file an import (admin upload or command) takes: about 20,000 lines of CSV,
# checked and saved in seconds; a bigger one would hold a request for minutes.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=2_000_000)
# One client's share of them (a session, else an address; static files aside): a teacher
# flooding a process meets this bound long before the others meet the process's.
MAX_REQUESTS_IN_FLIGHT_PER_CLIENT = env.int(
    "MAX_REQUESTS_IN_FLIGHT_PER_CLIENT", default=max(1, MAX_REQUESTS_IN_FLIGHT // 4)
)
LOCK_CLEANUP_INTERVAL = env.int("LOCK_CLEANUP_INTERVAL", default=60)
# The school calendar and booking rules (set in admin) are kept in each process's memory;
# another process sees a change within this many seconds (the process that saved it, at once).
SCHOOL_SETTINGS_SECONDS = env.float("SCHOOL_SETTINGS_SECONDS", default=10)
# Whether the timetable shows who booked a room (off: "a colleague"; one's own stand out).
TIMETABLE_SHOWS_NAMES = env.bool("TIMETABLE_SHOWS_NAMES", default=True)
# Check-in opens this many minutes before a booking starts (where a room's rules ask for it).
CHECK_IN_OPENS_MINUTES = env.int("CHECK_IN_OPENS_MINUTES", default=15)
# Who may read /metrics besides staff: a scraper sending "Authorization: Bearer <token>".
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- Auth -------------------------------------------------------------------------------

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses locked-out accounts
    # Django's ModelBackend, reading the signed-in teacher from the session cache (below)
    "teachers.backends.TeacherBackend",
]

# School sign-in (LDAP / Active Directory, teachers.directory over ldap3): on when
# LDAP_SERVER_URI is set. Teachers sign in with their directory password; their account is
# made (or updated) from the directory on each sign-in; local accounts (the admin, anyone
# not in the directory) still work.
LDAP_SERVER_URI = env.str("LDAP_SERVER_URI", default="")
if LDAP_SERVER_URI:
    from config.ldap import DirectorySettings

    AUTHENTICATION_BACKENDS.insert(1, "teachers.directory.DirectoryBackend")
    SCHOOL_DIRECTORY = DirectorySettings(
        server_uri=LDAP_SERVER_URI,
        bind_dn=env.str("LDAP_BIND_DN", default=""),
        bind_password=env.str("LDAP_BIND_PASSWORD", default=""),
        start_tls=env.bool("LDAP_START_TLS", default=False),
        ca_file=env.str("LDAP_CA_FILE", default=""),
        user_base=env.str("LDAP_USER_BASE"),
        user_filter=env.str("LDAP_USER_FILTER", default="(uid=%(user)s)"),
        name_attribute=env.str("LDAP_NAME_ATTRIBUTE", default="displayName"),
        group_base=env.str("LDAP_GROUP_BASE", default=""),
        require_group=env.str("LDAP_REQUIRE_GROUP", default=""),
        staff_group=env.str("LDAP_STAFF_GROUP", default=""),
    )
# Failed logins: an account is locked for LOGIN_LOCKOUT_MINUTES after
# LOGIN_FAILURES_PER_ACCOUNT failures (django-axes; an admin can unlock it), and an address
# (a school's network may be one address) after LOGIN_FAILURES_PER_ADDRESS.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURES_PER_ACCOUNT", default=5)
LOGIN_FAILURES_PER_ADDRESS = env.int("LOGIN_FAILURES_PER_ADDRESS", default=50)
LOGIN_LOCKOUT_MINUTES = env.int("LOGIN_LOCKOUT_MINUTES", default=15)
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username"]
# Per address, axes would lock a whole school behind one address at the account limit;
# teachers.throttle keeps a separate, higher per-address limit instead.
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "teachers.views.locked_out"
# Behind N proxies (nginx: 1), the client's address is the Nth from the right of
# X-Forwarded-For; with none, the connection's own address (config/addresses.py). Axes and
# the project's own limits take it from the same place.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "config.addresses.client_address"
PASSWORD_RESETS_PER_ACCOUNT = env.int("PASSWORD_RESETS_PER_ACCOUNT", default=3)
PASSWORD_RESETS_PER_ADDRESS = env.int("PASSWORD_RESETS_PER_ADDRESS", default=20)
# A session lasts a school day, not two weeks; a password change ends the others.
SESSION_COOKIE_AGE = int(env.float("SESSION_HOURS", default=10) * 3600)
# With Redis, a request reads its session and its teacher from Redis, not from two rows:
# the rows stay the truth (a change drops the copy: teachers/sessions.py,
# teachers/backends.py), an unreachable Redis is a miss (config/cache.py), and
# no copy lives longer than SIGNED_IN_CACHE_SECONDS, which bounds how long a logout or a
# deactivation made while Redis was unreachable could be missed.
SIGNED_IN_CACHE_SECONDS = env.int("SIGNED_IN_CACHE_SECONDS", default=120)
if REDIS_URL:
    CACHES["signed-in"] = {
        "BACKEND": "config.cache.GuardedRedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CHANNEL_LAYER_PREFIX", default="roomclaim"),
        "TIMEOUT": SIGNED_IN_CACHE_SECONDS,
        "LONGEST": SIGNED_IN_CACHE_SECONDS,
        "OPTIONS": {"socket_timeout": REDIS_TIMEOUT, "socket_connect_timeout": REDIS_TIMEOUT},
    }
    SESSION_ENGINE = "teachers.sessions"
    SESSION_CACHE_ALIAS = SIGNED_IN_CACHE = "signed-in"
else:
    SIGNED_IN_CACHE = ""
# The API (/api/v1/, docs/api.md): requests one personal access token may make a minute.
API_REQUESTS_PER_MINUTE = env.int("API_REQUESTS_PER_MINUTE", default=120)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "rooms:dashboard"
LOGOUT_REDIRECT_URL = "login"

# --- Time and language ------------------------------------------------------------------

# The language pages and emails are in when neither the browser nor the teacher asks for
# one we have (docs/interface.md, "Languages"). Adding one: docs/languages.md.
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="en-gb")
LANGUAGES = [("en-gb", "English"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Our named date and time formats (config/formats/<language>/formats.py), beside Django's.
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files -----------------------------------------------------------------------

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # In production `collectstatic` writes hashed, compressed copies that ServeStatic
    # serves with far-future cache headers.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "servestatic.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Mail -------------------------------------------------------------------------------

_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = _email["EMAIL_FILE_PATH"] or None
# The address links in emails and on printed door signs point to. Unset, mail links point
# at the default, and a door sign at the address its page was opened on (and says so).
_site_url = env.str("SITE_URL", default="").rstrip("/")
SITE_URL_SET = bool(_site_url)
SITE_URL = _site_url or "http://127.0.0.1:8000"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Roomclaim <roomclaim@localhost>")
# A send that takes longer fails (and is tried again later) rather than stalling the sender.
EMAIL_TIMEOUT = env.float("EMAIL_TIMEOUT", default=10)
# How long failed mails are retried, and how long a sender has a mail to itself.
EMAIL_RETRY_HOURS = env.float("EMAIL_RETRY_HOURS", default=24)
EMAIL_LEASE_SECONDS = env.int("EMAIL_LEASE_SECONDS", default=300)

# --- Security ---------------------------------------------------------------------------

X_FRAME_OPTIONS = "DENY"
# Pages carry no inline script or style: everything comes from this site's own files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],  # fetch and the live socket, same origin
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
# Features no page of Roomclaim uses, turned off for every page.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"
# Server-Timing headers (time spent in the app) only when asked for: they tell strangers
# how long things take.
SERVER_TIMING = env.bool("SERVER_TIMING", default=False)
CSRF_FAILURE_VIEW = "config.answers.csrf_failure"
SESSION_COOKIE_HTTPONLY = True
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # A load balancer asks these over plain HTTP, on the private side of the proxy.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging ----------------------------------------------------------------------------

# LOG_FORMAT=json: one JSON object per line (for a log collector); LOG_REQUESTS: a line per
# request with its status and duration (on by default with JSON logs).
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT is plain or json, not {LOG_FORMAT!r}")
LOG_REQUESTS = env.bool("LOG_REQUESTS", default=LOG_FORMAT == "json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"},
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.channels.server": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
