"""Redirect targets after sign-in must stay on this site."""

import pytest

from app.security import CONTENT_SECURITY_POLICY, is_safe_next, safe_next


@pytest.mark.parametrize("target", ["/", "/questions/3", "/search?q=a%20b", "/users/x#top"])
def test_local_paths_are_safe(target):
    assert is_safe_next(target)


@pytest.mark.parametrize(
    "target",
    [
        None,
        "",
        "https://evil.example/",
        "//evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "evil.example",
        "/\x00",
        "/\r\nSet-Cookie:x",
        " /ok",
        "/" + "a" * 3000,
    ],
)
def test_foreign_or_odd_targets_are_refused(target):
    assert not is_safe_next(target)
    assert safe_next(target, "/home") == "/home"


def test_csp_forbids_inline_script_and_framing():
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
