"""Markdown to safe HTML: python-markdown renders, nh3 (an allow-list sanitiser) cleans."""

import markdown
import nh3

_EXTENSIONS = ["fenced_code", "tables", "sane_lists", "nl2br"]

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "strong", "sub", "sup",
    "table", "tbody", "td", "th", "thead", "tr", "ul",
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


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Images load from http(s) only; code classes only name a language."""
    if tag == "img" and attribute == "src":
        return value if value.lower().startswith(_IMAGE_SCHEMES) else None
    if tag == "code" and attribute == "class":
        return value if value.startswith("language-") and value[9:].isalnum() else None
    return value


def sanitize_html(html: str) -> str:
    """Reduce arbitrary HTML to the allow-list; links get rel="nofollow ugc noopener"."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        attribute_filter=_attribute_filter,
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Render user Markdown to sanitised HTML (store the result beside the source)."""
    if not text:
        return ""
    html = markdown.markdown(text, extensions=_EXTENSIONS, output_format="html")
    return sanitize_html(html)
