"""Markdown is rendered and then reduced to an allow-list: nothing executable survives."""

import re
from html.parser import HTMLParser

import pytest

from app.rendering import ALLOWED_TAGS, render_markdown


class _Inspector(HTMLParser):
    """Collects every tag and attribute the browser would see."""

    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str]] = []
        self.data = ""

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend((name, value or "") for name, value in attrs)

    def handle_data(self, data):
        self.data += data


def inspect(html: str) -> _Inspector:
    parser = _Inspector()
    parser.feed(html)
    return parser


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    '![x" onerror="alert(1)](y)',
    "<img src=x onerror=alert(1)>",
    '<a href="http://x.org" onclick="alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<iframe src="https://evil.example"></iframe>',
    "<svg onload=alert(1)>",
    '<object data="x"></object>',
    "<style>body{display:none}</style>",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    '<form action="https://evil.example"><button>go</button></form>',
    "<input autofocus onfocus=alert(1)>",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_is_harmless(source):
    page = inspect(render_markdown(source))
    assert set(page.tags) <= ALLOWED_TAGS, page.tags
    for name, value in page.attrs:
        assert not name.startswith("on"), (source, name)
        assert name != "style", source
        if name in ("href", "src"):
            assert value.lower().startswith(("http://", "https://", "mailto:")), (source, value)
    if source.lower().startswith("<script"):
        assert "alert" not in page.data and "evil" not in page.data  # content dropped too


def test_markdown_features_survive():
    html = render_markdown(
        "# Title\n\n**bold** and *em*\n\n```python\nprint(1)\n```\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n1. one\n2. two\n\n[site](https://example.org)"
    )
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html
    assert '<code class="language-python">' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<ol>" in html
    assert 'href="https://example.org"' in html
    assert 'rel="nofollow ugc noopener"' in html


def test_images_only_from_http_and_https():
    assert 'src="https://example.org/a.png"' in render_markdown("![a](https://example.org/a.png)")
    assert "src=" not in render_markdown("![a](data:image/png;base64,AAAA)")
    assert "src=" not in render_markdown("![a](ftp://example.org/a.png)")


def test_text_is_escaped_not_dropped():
    html = render_markdown("1 < 2 & 3 > 2 — emoji 🎉, RTL \u202etxt")
    assert "1 &lt; 2 &amp; 3 &gt; 2" in html
    assert "🎉" in html


def test_empty_and_huge_inputs():
    assert render_markdown("") == ""
    big = ("word " * 4000)[:20_000]
    assert len(render_markdown(big)) >= 19_000


PIXEL = "https://tracker.example/p.gif"


@pytest.mark.parametrize(
    "source",
    [
        f"![pixel]({PIXEL})",
        f'<img src="{PIXEL}">',
        "![pixel](//tracker.example/p.gif)",
        '<img src="//tracker.example/p.gif">',
        "![pixel](/\\\\tracker.example/p.gif)",
        '<img src="/\\tracker.example/p.gif">',
        "![pixel](http://tracker.example/p.gif)",
        '<img src="HTTPS://TRACKER.EXAMPLE/P.GIF">',
        '<img srcset="https://tracker.example/p.gif 1x" src="/static/x.png">',
    ],
)
def test_private_content_loads_no_image_from_other_sites(source):
    html = render_markdown(source, private=True)
    images = re.findall(r"<img[^>]*>", html)
    assert all("tracker" not in image.lower() for image in images), html
    assert "srcset" not in html


def test_private_images_from_other_sites_become_links_and_local_ones_stay():
    html = render_markdown(f"See ![my chart]({PIXEL}) and ![logo](/static/logo.png)", private=True)
    assert f'<a href="{PIXEL}" rel="nofollow ugc noopener">my chart (image)</a>' in html
    assert '<img alt="logo" src="/static/logo.png">' in html
    # Public content keeps ordinary images.
    assert f'src="{PIXEL}"' in render_markdown(f"![chart]({PIXEL})")
