"""What the pages' tests share: the pages to walk, and what every page must hold."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx

LANGUAGES = ("fr", "en", "es", "de", "ar")


class Inline(HTMLParser):
    """Collects what a strict CSP would refuse: inline scripts, styles and handlers."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.html_attributes: dict[str, str | None] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "html":
            self.html_attributes = names
        if tag == "script" and not names.get("src"):
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style>")
        for name, _ in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"{name}= on <{tag}>")


def inline_code(html: str) -> tuple[list[str], dict[str, str | None]]:
    parser = Inline()
    parser.feed(html)
    return parser.found, parser.html_attributes


def csrf_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the form has no CSRF token"
    return found.group(1)


def hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no hidden field {name}"
    return found.group(1)


def assert_secure_page(response: httpx.Response) -> None:
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    found, _ = inline_code(response.text)
    assert found == []


def shown(locator: object, timeout_ms: float = 10_000) -> bool:
    """Whether ``locator`` is visible once the page has settled: after a form is sent the
    address can change before the new page is drawn, so a bare ``is_visible()`` may look at
    a page that is still loading (the CI's loaded machine caught it)."""
    try:
        locator.wait_for(state="visible", timeout=timeout_ms)  # type: ignore[attr-defined]
    except Exception:  # playwright's TimeoutError: not shown in time
        return False
    return True
