"""HTTP hardening: security headers, Secure cookies over HTTPS, safe redirects."""

from typing import TypeGuard
from urllib.parse import urlsplit

from flask import Flask, Response, g, request
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' https: data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def is_safe_next(target: str | None) -> TypeGuard[str]:
    """Accept only local absolute paths like ``/questions/3?x=1`` as redirect targets."""
    if not target or not isinstance(target, str) or len(target) > 2000:
        return False
    if any(ord(ch) < 32 or ch == "\\" for ch in target):
        return False
    if not target.startswith("/") or target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    """The target when it is a safe local path, otherwise the default."""
    return target if is_safe_next(target) else default


def _add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    # Pages made for a signed-in person must never sit in a shared or browser cache; that
    # person may also be an API caller with a bearer token (no session cookie).
    signed_in = (current_user and current_user.is_authenticated) or g.get("api_user")
    if signed_in and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "private, no-store"
    return response


class SecureCookiesOverHttps:
    """WSGI middleware: every cookie set on an HTTPS request gets the Secure flag.

    Flask's and Flask-Login's Secure settings are static, and the session and remember
    cookies are written after every after_request hook, so this sits around the app.
    """

    def __init__(self, wsgi_app) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def secure_start_response(status, headers, exc_info=None):
            headers = [
                (name, value + "; Secure")
                if name.lower() == "set-cookie" and "; secure" not in value.lower()
                else (name, value)
                for name, value in headers
            ]
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, secure_start_response)


def register_security(app: Flask) -> None:
    """Security headers, Secure cookies over HTTPS, and (when configured) proxy trust."""
    # Wrapping wsgi_app is how Flask documents WSGI middleware; mypy sees a method assigned.
    app.wsgi_app = SecureCookiesOverHttps(app.wsgi_app)  # type: ignore[method-assign]
    proxies = app.config.get("TRUSTED_PROXY_COUNT", 0)
    if proxies:
        # Outermost, so the scheme is corrected before the cookie middleware looks at it.
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies
        )
    app.after_request(_add_security_headers)
