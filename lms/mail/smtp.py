"""SMTP settings from ``LMS_SMTP_URL`` and the MIME message of an outbox row.

The message is built with the standard library's ``email.message.EmailMessage``
(policy ``email.policy.SMTP``), which folds and encodes headers and refuses a header
value holding CR or LF; names and subjects are also flattened to one line when
queued (:func:`one_line`), so neither can add a header.
"""

from __future__ import annotations

import hashlib
import json
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from lms.mail.models import OutboxMessage

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
HEADER_POLICY = policy.SMTP.clone(max_line_length=998)
TIMEOUT_SECONDS = 30
_LINE_BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]+")


class SmtpUrlError(ValueError):
    pass


@dataclass(frozen=True)
class SmtpSettings:
    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @property
    def display(self) -> str:
        """The URL without its password (for `mail status` and logs)."""
        user = f"{self.username}:***@" if self.username else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpSettings:
    """``smtp://[user:pass@]host[:port]`` (plain), ``smtp+starttls://…`` (587) or
    ``smtps://…`` (TLS from the start, 465). User and password are percent-decoded."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as error:
        raise SmtpUrlError(f"LMS_SMTP_URL: {error}") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise SmtpUrlError(f"LMS_SMTP_URL must start with {', '.join(s + '://' for s in SCHEMES)}"
                           f" (got {scheme or 'no scheme'!r})")
    if not parts.hostname:
        raise SmtpUrlError("LMS_SMTP_URL has no host name")
    return SmtpSettings(scheme=scheme, host=parts.hostname, port=port or SCHEMES[scheme],
                        username=unquote(parts.username) if parts.username else None,
                        password=unquote(parts.password) if parts.password else None)


def parse_from_address(value: str, site_name: str) -> Address:
    """``LMS_MAIL_FROM``: ``hocso@example.vn`` or ``Tên <hocso@example.vn>``; a bare
    address gets the site's name as its display name."""
    name, address = parseaddr(one_line(value))
    if not address or "@" not in address:
        raise ValueError(f"LMS_MAIL_FROM is not an email address: {value!r}")
    try:
        return Address(display_name=name or site_name, addr_spec=address)
    except (ValueError, IndexError) as error:  # the email package's parser errors
        raise ValueError(f"LMS_MAIL_FROM is not an email address: {value!r} ({error})") from None


def connect(settings: SmtpSettings, timeout: float = TIMEOUT_SECONDS) -> smtplib.SMTP:
    """An SMTP session, encrypted as the scheme says (certificates verified) and
    signed in when the URL has a user."""
    context = ssl.create_default_context()
    if settings.scheme == "smtps":
        client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=timeout,
                                                context=context)
    else:
        client = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
    try:
        client.ehlo()
        if settings.scheme == "smtp+starttls":
            client.starttls(context=context)
            client.ehlo()
        if settings.username:
            client.login(settings.username, settings.password or "")
    except BaseException:
        client.close()
        raise
    return client


def one_line(text: str | None) -> str:
    """Control characters and line breaks become one space: a name or a subject
    stays one header line whatever was typed or imported."""
    return _LINE_BREAKS.sub(" ", text or "").strip()


def message_id(key: str, sender: Address) -> str:
    """The same Message-ID for every try of one message: a receiver that sees it twice
    (a crash after the server accepted it) can tell it is one message."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"<{digest}@{sender.domain or 'localhost'}>"


def build_message(row: OutboxMessage, sender: Address) -> EmailMessage:
    """The MIME message: plain text and HTML alternatives, UTF-8."""
    message = EmailMessage(policy=policy.SMTP)
    message["From"] = sender
    message["To"] = Address(display_name=row.to_name, addr_spec=row.to_address)
    message["Subject"] = row.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id(row.key, sender)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    for name, value in json.loads(row.headers or "{}").items():
        message[name] = value
    message.set_content(row.text_body, charset="utf-8")
    if row.html_body:
        message.add_alternative(row.html_body, subtype="html", charset="utf-8")
    # The bodies are encoded now, in base64 lines of 76. The headers are folded when the
    # message is written: Python's folding of RFC 2047 encoded words can drop the space
    # at a fold ("kỹ năng số" arrives as "kỹ năngsố"), so headers are not folded below
    # RFC 5322's 998 (subjects and names are capped far below it when queued).
    message.policy = HEADER_POLICY
    return message
