"""Markdown to safe HTML: python-markdown renders, nh3 (an allow-list sanitiser) cleans.

Private content (messages, agreements, check-ins, posts written inside a closed goal) is
rendered with ``private=True``: an image from another site would load when the reader opens
it and tell that site who read it and when (a tracking pixel), so there images load only
from the site itself (a path such as ``/static/x.png``); any other image becomes a plain link
the reader may choose to follow.
"""

import markdown
import nh3
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "nl2br"]

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title"},
    "td": {"align"},
    "th": {"align"},
    "code": {"class"},
}
# nh3 checks every URL attribute against this set, so javascript:/data: links die here.
URL_SCHEMES = {"http", "https", "mailto"}
_IMAGE_SCHEMES = ("http://", "https://")


def is_site_path(url: str) -> bool:
    """A path on this site (``/static/a.png``), not another host (``//x``, ``/\\x``, ``https:``)."""
    url = url.strip()
    return url.startswith("/") and not url.startswith(("//", "/\\"))


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Images load from http(s) only; code classes only name a language."""
    if tag == "img" and attribute == "src":
        return value if value.lower().startswith(_IMAGE_SCHEMES) else None
    if tag == "code" and attribute == "class":
        return value if value.startswith("language-") and value[9:].isalnum() else None
    return value


def _private_attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """As above, but images load only from this site (raw <img> HTML included)."""
    if tag == "img" and attribute == "src":
        return value if is_site_path(value) else None
    return _attribute_filter(tag, attribute, value)


def sanitize_html(html: str, *, private: bool = False) -> str:
    """Reduce arbitrary HTML to the allow-list; links get rel="nofollow ugc noopener"."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        attribute_filter=_private_attribute_filter if private else _attribute_filter,
        strip_comments=True,
    )


class _ImagesAsLinks(Treeprocessor):
    """Markdown images from other sites become links to them: ![alt](url) → [alt (image)](url)."""

    def run(self, root):
        for element in root.iter("img"):
            src = element.get("src", "")
            if is_site_path(src):
                continue
            alt = element.get("alt") or "image"
            element.tag = "a"
            element.attrib.clear()
            element.set("href", src)
            element.text = f"{alt} (image)"


class _PrivateImages(Extension):
    def extendMarkdown(self, md):
        md.treeprocessors.register(_ImagesAsLinks(md), "private_images", 0)


def render_markdown(text: str, *, private: bool = False) -> str:
    """Render user Markdown to sanitised HTML (store the result beside the source).

    ``private``: content only its owner and mentor see; images load from this site only.
    """
    if not text:
        return ""
    extensions: list[str | Extension] = (
        [*_EXTENSIONS, _PrivateImages()] if private else [*_EXTENSIONS]
    )
    html = markdown.markdown(text, extensions=extensions, output_format="html")
    return sanitize_html(html, private=private)
