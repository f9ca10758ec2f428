"""Parse a page the way a browser would and collect what the security/a11y checks need."""

from html.parser import HTMLParser


class PageAudit(HTMLParser):
    """Collects what the checks below need: landmarks, labels, fields, scripts."""

    def __init__(self):
        super().__init__()
        self.ids, self.label_for, self.fields, self.landmarks = set(), set(), [], set()
        self.inline_scripts, self.handlers, self.links = 0, [], []
        self._in_label = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag in ("header", "main", "footer", "nav"):
            self.landmarks.add(tag)
        if tag == "label":
            self._in_label += 1
            if a.get("for"):
                self.label_for.add(a["for"])
        if tag in ("input", "select", "textarea") and a.get("type") not in ("hidden", "submit"):
            self.fields.append((a.get("id"), self._in_label > 0))
        if tag == "script" and not a.get("src"):
            self.inline_scripts += 1
        self.handlers += [name for name in a if name.startswith("on")]
        if tag == "a":
            self.links.append(a.get("href", ""))

    def handle_endtag(self, tag):
        if tag == "label":
            self._in_label -= 1


def audit(html: str) -> PageAudit:
    page = PageAudit()
    page.feed(html)
    return page
