"""Crossdock settings, read from the environment.

``DATABASE_URL`` picks the database (default: an embedded SQLite file under
``var/`` in WAL mode with immediate write transactions, so concurrent writers
queue instead of failing half-way). ``CROSSDOCK_DEBUG``, ``CROSSDOCK_SECRET_KEY``,
``CROSSDOCK_ALLOWED_HOSTS`` and ``CROSSDOCK_TASK_BACKEND`` tune the rest.
"""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CROSSDOCK_VAR_DIR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = _env_bool("CROSSDOCK_DEBUG", True)
SECRET_KEY = os.environ.get(
    "CROSSDOCK_SECRET_KEY", "crossdock-insecure-development-key-change-me-in-production"
)
ALLOWED_HOSTS = os.environ.get("CROSSDOCK_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(
    ","
)

AUTH_USER_MODEL = "core.User"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_htmx",
    "ninja",
    "django_tasks_db",
    "crossdock.core",
    "crossdock.masterdata",
    "crossdock.approvals",
    "crossdock.inventory",
    "crossdock.accounting",
    "crossdock.purchasing",
    "crossdock.sales",
    "crossdock.quality",
    "crossdock.service",
    "crossdock.planning",
    "crossdock.insight",
    "crossdock.api",
    "crossdock.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "crossdock.core.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "crossdock.urls"
WSGI_APPLICATION = "crossdock.wsgi.application"
ASGI_APPLICATION = "crossdock.asgi.application"

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
                "crossdock.web.context.shell",
            ],
        },
    },
]

DEFAULT_SQLITE_PATH = VAR_DIR / "crossdock.sqlite3"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DEFAULT_SQLITE_PATH}"),
        conn_max_age=0,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # Writers take the lock when the transaction starts, never half-way
        # through, so two services never both read-then-fail to upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=NORMAL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=30000;"
        ),
    }
# Each test process gets its own test database (a file for SQLite, so real
# parallel processes in the tests can open it too).
_test_suffix = os.environ.get("CROSSDOCK_TEST_DB_SUFFIX", str(os.getpid()))
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{_test_suffix}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{_test_suffix}"}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Login throttling: five failures per username and address lock for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("CROSSDOCK_LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/locked_out.html"
AXES_VERBOSE = False

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

MAILERS = {
    "default": {
        "BACKEND": os.environ.get(
            "CROSSDOCK_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
        )
    }
}
DEFAULT_FROM_EMAIL = os.environ.get("CROSSDOCK_FROM_EMAIL", "crossdock@localhost")

TASKS = {
    "default": {
        "BACKEND": os.environ.get("CROSSDOCK_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": ["default"],
    }
}

# Periodic tasks (crossdock/core/schedule.py): override an entry's cron expression, or switch
# it off with an empty one, e.g. "planning.nightly-replenishment=0 3 * * *;insight.kpi-snapshot=".
CROSSDOCK_SCHEDULE = {
    name.strip(): cron.strip()
    for name, _, cron in (
        item.partition("=")
        for item in os.environ.get("CROSSDOCK_SCHEDULE", "").split(";")
        if item.strip()
    )
}

NINJA_PAGINATION_PER_PAGE = 50

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CROSSDOCK_LOG_LEVEL", "WARNING")},
}
