"""Delivery channels: each takes a rendered digest somewhere and raises :class:`DeliveryError` when it did not.

``CHANNELS`` is the flat list of channels; a new one is a function ``(digest, config) -> str`` (what it did).
"""

from __future__ import annotations

import os
import smtplib
import ssl
import sys
import urllib.error
import urllib.request
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from monitor.digest.build import Digest
from monitor.digest.config import DigestConfig
from monitor.digest.render import render, render_html, render_json, render_markdown, subject

EXTENSIONS = {"md": "md", "html": "html", "json": "json"}


class DeliveryError(RuntimeError):
    """A channel did not take the digest; the message is one line naming the channel's target."""


def deliver_file(digest: Digest, config: DigestConfig) -> str:
    """Write one file per digest into the configured directory (written whole, then renamed into place)."""
    directory = config.directory
    name = f"digest-{digest.digest_id or 'preview'}-{digest.until[:19].replace(':', '').replace('-', '')}"
    target = directory / f"{name}.{EXTENSIONS[config.format]}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(target.suffix + ".part")
        partial.write_text(render(digest, config.format), encoding="utf-8")
        os.replace(partial, target)
    except OSError as exc:
        raise DeliveryError(f"file {directory}: {exc.strerror or exc}") from exc
    return str(target)


def deliver_stdout(digest: Digest, config: DigestConfig) -> str:
    """Print the digest on standard output."""
    try:
        sys.stdout.write(render(digest, config.format))
        sys.stdout.flush()
    except OSError as exc:
        raise DeliveryError(f"stdout: {exc}") from exc
    return "standard output"


def email_message(digest: Digest, config: DigestConfig) -> EmailMessage:
    """multipart/alternative: the Markdown as text/plain first, the HTML second (RFC 2046: best last)."""
    smtp = config.smtp
    message = EmailMessage()
    message["Subject"] = subject(digest, smtp.subject)
    message["From"] = smtp.sender
    message["To"] = ", ".join(smtp.to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(idstring=f"digest{digest.digest_id or 0}", domain="speechwatch")
    message.set_content(render_markdown(digest), subtype="plain", charset="utf-8")
    message.add_alternative(render_html(digest), subtype="html", charset="utf-8")
    return message


def deliver_smtp(digest: Digest, config: DigestConfig) -> str:
    """Send the email over SMTP: STARTTLS (587), implicit TLS (465) or plain (25, local relays), with optional AUTH."""
    smtp = config.smtp
    port = smtp.effective_port
    target = f"smtp {smtp.host}:{port}"
    context = ssl.create_default_context(cafile=smtp.cafile) if smtp.security != "none" else None
    try:
        if smtp.security == "ssl":
            client = smtplib.SMTP_SSL(smtp.host, port, timeout=smtp.timeout, context=context)
        else:
            client = smtplib.SMTP(smtp.host, port, timeout=smtp.timeout)
        with client:
            if smtp.security == "starttls":
                client.starttls(context=context)
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            refused = client.send_message(email_message(digest, config))
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"{target}: login refused for {smtp.username!r} ({exc.smtp_code})") from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(f"{target}: server does not support {exc} (check security = starttls|ssl|none)") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"{target}: {_one_line(exc)}") from exc
    if refused:
        raise DeliveryError(f"{target}: recipients refused: {', '.join(sorted(refused))}")
    return f"{target} to {', '.join(smtp.to)}"


def deliver_webhook(digest: Digest, config: DigestConfig) -> str:
    """POST the JSON form; any 2xx answer counts as delivered."""
    request = urllib.request.Request(
        config.webhook_url,
        data=render_json(digest).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "speechwatch-digest"},
        method="POST",
    )
    target = f"webhook {config.webhook_url}"
    try:
        with urllib.request.urlopen(request, timeout=config.webhook_timeout) as response:  # noqa: S310 - http(s) checked
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"{target}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(f"{target}: {_one_line(getattr(exc, 'reason', exc))}") from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"{target}: HTTP {status}")
    return f"{target} (HTTP {status})"


def _one_line(exc: object) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


CHANNELS: dict[str, Callable[[Digest, DigestConfig], str]] = {
    "file": deliver_file,
    "stdout": deliver_stdout,
    "smtp": deliver_smtp,
    "webhook": deliver_webhook,
}
