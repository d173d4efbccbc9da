"""A small HTTP browser for the cluster tier: cookies, forms with their hidden fields
(CSRF tokens), multipart uploads, redirects shown rather than followed, and the
X-LMS-Server header of every answer. Standard library only; never a proxy."""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

SERVERS = ("app-1", "app-2")


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)


class _FormParser(HTMLParser):
    """The POST forms of a page with their hidden fields, and its links."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.links: list[str] = []
        self.current: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "form":
            self.current = None
            if values.get("method", "get").lower() == "post":
                self.current = Form(values.get("action", ""))
                self.forms.append(self.current)
        elif tag == "input" and self.current and values.get("type") == "hidden":
            self.current.fields[values.get("name", "")] = values.get("value", "")
        elif tag in ("a", "link") and "href" in values:
            self.links.append(values["href"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.current = None


@dataclass
class Page:
    url: str
    status: int
    headers: Any  # http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def server(self) -> str | None:
        """The app server that answered (None: nginx answered itself)."""
        return self.headers.get("X-LMS-Server")

    @property
    def location(self) -> str:
        return self.headers.get("Location", "")

    def _parsed(self) -> _FormParser:
        parser = _FormParser()
        parser.feed(self.text)
        return parser

    def form(self, action: str | None = None) -> Form:
        """The first form whose action contains ``action``; without it, the first
        form that posts to the page itself (no action attribute)."""
        for form in self._parsed().forms:
            if (action in form.action) if action is not None else not form.action:
                return Form(form.action or urllib.parse.urlsplit(self.url).path, form.fields)
        raise AssertionError(f"no form {action!r} on {self.url} ({self.status})")

    def links(self, prefix: str) -> list[str]:
        return [link for link in self._parsed().links if link.startswith(prefix)]


class _ShowRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the 3xx comes back as the answer


class Browser:
    def __init__(self, base_url: str, headers: dict[str, str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = dict(headers or {})
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}),  # loopback only, whatever http_proxy says
            urllib.request.HTTPCookieProcessor(self.cookies),
            _ShowRedirects(),
        )
        self.seen: list[str | None] = []  # the server of every answer, in order

    def copy(self) -> Browser:
        """Another browser holding this one's cookies (a copied session cookie)."""
        other = Browser(self.base_url, self.headers)
        for cookie in self.cookies:
            other.cookies.set_cookie(cookie)
        return other

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> Page:
        url = path if path.startswith("http") else self.base_url + path
        request = urllib.request.Request(url, data=body, method=method,
                                         headers={**self.headers, **(headers or {})})
        try:
            response = self.opener.open(request, timeout=60)
        except urllib.error.HTTPError as error:  # 3xx, 4xx and 5xx answers
            response = error
        with response:
            page = Page(url, response.status, response.headers, response.read())
        self.seen.append(page.server)
        return page

    def get(self, path: str, headers: dict[str, str] | None = None) -> Page:
        return self.request("GET", path, headers=headers)

    def post(self, path: str, fields: dict[str, Any],
             files: dict[str, tuple[str, bytes]] | None = None) -> Page:
        if files:
            body, content_type = multipart(fields, files)
        else:
            body = urllib.parse.urlencode(fields, doseq=True).encode()
            content_type = "application/x-www-form-urlencoded"
        return self.request("POST", path, body, {"Content-Type": content_type})

    def submit(self, form: Form, fields: dict[str, Any] | None = None,
               files: dict[str, tuple[str, bytes]] | None = None) -> Page:
        """Post a form with its hidden fields (the CSRF token) and ``fields``."""
        return self.post(form.action, {**form.fields, **(fields or {})}, files)

    def follow(self, page: Page) -> Page:
        """The page a redirect leads to, through at most five more redirects."""
        assert page.status in (301, 302, 303), f"{page.url}: {page.status}, not a redirect"
        for _ in range(6):
            if page.status not in (301, 302, 303):
                return page
            page = self.get(page.location)
        raise AssertionError(f"too many redirects from {page.url}")

    def steer_to(self, server: str) -> None:
        """Make the next request go to ``server``. nginx takes the two app servers in
        turn (round robin, one worker process): ask for /healthz until the other one
        answers. At most three tries."""
        for _ in range(3):
            if self.get("/healthz").server not in (server, None):
                return
        raise AssertionError(f"nginx did not alternate between the servers: {self.seen[-3:]}")


def multipart(fields: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f"{value}\r\n".encode())
    for name, (filename, content) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                     f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
                     .encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"
