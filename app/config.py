"""Configuration objects built from environment variables (SPEC §4)."""

import os
from datetime import timedelta


def _env_bool(name: str, default: bool) -> bool:
    """Read a 0/1 style boolean from the environment."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    """Read an integer from the environment, falling back on bad values."""
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


def normalise_database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


SEARCH_BACKENDS = ("whoosh", "postgres")


class Config:
    """Production-shaped settings read from the environment when instantiated."""

    TESTING = False

    def __init__(self) -> None:
        env = os.environ
        # None means "under instance/", resolved by the factory once the instance path is known.
        self.SQLALCHEMY_DATABASE_URI = (
            normalise_database_url(env["DATABASE_URL"]) if env.get("DATABASE_URL") else None
        )
        self.SEARCH_INDEX_DIR = env.get("SEARCH_INDEX_DIR") or None
        # "whoosh" (an index on this machine's disk) or "postgres" (one table shared by every
        # web node on the same PostgreSQL: the setting for several machines).
        self.SEARCH_BACKEND = (env.get("SEARCH_BACKEND") or "whoosh").strip().lower()
        if self.SEARCH_BACKEND not in SEARCH_BACKENDS:
            raise ValueError(f"SEARCH_BACKEND must be one of {', '.join(SEARCH_BACKENDS)}")
        # SEARCH_NODES=multi (a Whoosh index per machine fed by a shared log) was retired: a
        # machine still set to it would drain the shared outbox into its own index alone, so
        # the others would silently miss changes. Refuse to start instead.
        if (env.get("SEARCH_NODES") or "single").strip().lower() != "single":
            raise ValueError(
                "SEARCH_NODES=multi was retired: on several machines use SEARCH_BACKEND=postgres"
            )
        # `make run` only: index in a thread of the dev server (production: `flask search worker`).
        self.SEARCH_INDEXER_THREAD = _env_bool("SEARCH_INDEXER_THREAD", False)
        # Similar threads ranked by meaning (text-embedding vectors) as well as words; 0 turns
        # it off (word index only). Vectors are still written, so turning it on needs no reindex.
        self.SIMILAR_HYBRID = _env_bool("SIMILAR_HYBRID", True)
        # How often (seconds) a worker checks the vector table for changes on a lookup.
        self.VECTOR_REFRESH_SECONDS = float(env.get("VECTOR_REFRESH_SECONDS") or 1.0)
        # `flask search worker` runs this much nicer than the web workers: its background
        # work (similar lists, a bulk load's backlog) must never slow a page view.
        self.SEARCH_WORKER_NICE = _env_int("SEARCH_WORKER_NICE", 10)
        self.SECRET_KEY = env.get("SECRET_KEY") or None
        self.DEMO_DATA = _env_bool("DEMO_DATA", False)
        self.RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", True)
        # None: a SQLite file under instance/ that every worker on this machine shares
        # (app/ratelimit_storage.py); redis://… to share the counts across machines.
        self.RATELIMIT_STORAGE_URI = env.get("RATELIMIT_STORAGE_URI") or None
        self.RATELIMIT_KEY_PREFIX = env.get("RATELIMIT_KEY_PREFIX", "journster")
        self.SMTP_URL = env.get("SMTP_URL") or None
        # Absolute links in emails (no request to take the host from in `flask notify`).
        self.BASE_URL = (env.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/")
        self.MAIL_FROM = env.get("MAIL_FROM") or "Journster <no-reply@journster.invalid>"
        # Verification and reset mail: each process sends its own at once from a thread
        # (0: only `flask notify send`, the once-a-minute loop, sends them).
        self.ACCOUNT_MAIL_THREAD = _env_bool("ACCOUNT_MAIL_THREAD", True)
        self.ADMIN_EMAILS = frozenset(
            e.strip().lower() for e in env.get("ADMIN_EMAILS", "").split(",") if e.strip()
        )
        self.INVITE_TTL_SECONDS = _env_int("INVITE_TTL_SECONDS", 604_800)
        self.API_TOKEN_TTL_SECONDS = _env_int("API_TOKEN_TTL_SECONDS", 30 * 86_400)
        # Number of reverse proxies in front of us whose X-Forwarded-* headers we trust.
        self.TRUSTED_PROXY_COUNT = _env_int("TRUSTED_PROXY_COUNT", 0)
        # Force Secure cookies even when the request itself does not look like HTTPS.
        self.SESSION_COOKIE_SECURE = _env_bool("COOKIE_SECURE", False)
        self.REMEMBER_COOKIE_SECURE = self.SESSION_COOKIE_SECURE

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 1024 * 1024
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "journster_session"
    PERMANENT_SESSION_LIFETIME = timedelta(days=14)
    # Flask-Login's remember cookie defaults to a year and no SameSite: tighten both.
    REMEMBER_COOKIE_NAME = "journster_remember"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_REFRESH_EACH_REQUEST = False
    WTF_CSRF_TIME_LIMIT = None  # tokens live as long as the session that holds them
    RATELIMIT_HEADERS_ENABLED = True
    RATELIMIT_SIGNUP = "5 per hour"
    RATELIMIT_SIGNIN = "10 per minute"
    RATELIMIT_TOKENS = "10 per minute"
    RATELIMIT_POSTING = "30 per minute"
    RATELIMIT_MESSAGES = "60 per minute"
    RATELIMIT_SEARCH = "120 per minute"
    RATELIMIT_PASSWORD_RESET = "5 per hour"  # noqa: S105  (a rate, not a secret)
    RATELIMIT_PASSWORD_CHECK = "10 per minute"  # noqa: S105
    RATELIMIT_VOTES = "60 per minute"
    RATELIMIT_FLAGS = "60 per minute"
    RATELIMIT_FOLLOWS = "60 per minute"
    RATELIMIT_BLOCKS = "60 per minute"
    API_TITLE = "Journster API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api/v1"
    OPENAPI_JSON_PATH = "openapi.json"


class TestConfig(Config):
    """Settings for the test suite: a given database, memory rate limits, CSRF still on."""

    TESTING = True

    def __init__(self, database_url: str, instance_dir: str | None = None) -> None:
        super().__init__()
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(database_url)
        self.SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
        self.RATELIMIT_STORAGE_URI = "memory://"
        self.RATELIMIT_ENABLED = True
        self.DEMO_DATA = False
        self.SMTP_URL = None
        self.ACCOUNT_MAIL_THREAD = False  # tests send with send_account_mail() (one test: on)
        self.ADMIN_EMAILS = frozenset({"admin@example.org"})
        self.SEARCH_BACKEND = "whoosh"  # tests that want PostgreSQL search ask for it
        self.SEARCH_INDEX_DIR = instance_dir
        self.SEARCH_INDEXER_THREAD = False
        self.SIMILAR_HYBRID = True
        self.VECTOR_REFRESH_SECONDS = 0.0  # a test reads right after the indexer wrote
