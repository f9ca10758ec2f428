"""gunicorn settings for `make serve` and production; all from the environment."""

import os
import re

from gunicorn import glogging

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_class = "sync"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Time a worker gets to finish its requests on restart/stop before it is killed.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
# Recycle workers now and then so slow leaks cannot grow past the 200 MB budget.
# A worker is replaced after this many requests, to bound slow leaks. 5,000 replaced each
# worker every ~15 s under load (pages take 1-5 ms): each restart paid the app's and the
# embedding model's start-up and emptied the worker's caches (similar API p99 767 ms in the
# Askbot comparison). Every cache is bounded, so a long life costs no memory.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
accesslog = "-"
# Behind nginx the peer is the proxy: log the client it forwarded for, and the time taken (ms).
access_log_format = (
    '%(h)s %({x-forwarded-for}i)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms'
)
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# Oversized request lines and headers are refused before the app sees them (SPEC §3.1).
limit_request_line = 8190
limit_request_fields = 100
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


class RedactingLogger(glogging.Logger):
    """Access log without secrets: tokens in link paths and the text of similar lookups.

    Unsubscribe, reset and verification links carry their credential in the path; a lookup of
    similar threads carries the draft someone is typing in ``text=``. The Referer of a page
    opened from such a link repeats it, so every logged value is cleaned, not only the line.
    """

    TOKEN_PATHS = re.compile(
        r"(/(?:unsubscribe|password/reset|verify-email|api/v1/password-resets)/)[^/?#\s\"]+"
    )
    TEXT_QUERY = re.compile(r"((?:^|[?&])text=)[^&#\s\"]*")

    @classmethod
    def redact(cls, value):
        if not isinstance(value, str):
            return value
        value = cls.TOKEN_PATHS.sub(r"\1[redacted]", value)
        return cls.TEXT_QUERY.sub(r"\1[redacted]", value)

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        return {name: self.redact(value) for name, value in atoms.items()}


logger_class = RedactingLogger
