"""Digests: what is new since the last delivered digest, rendered as Markdown, HTML or JSON and delivered.

The scheduler calls :func:`send_digest`; ``speechwatch digest`` previews with :func:`build_digest` and
:func:`render`. See README "Digests" for the settings and the JSON fields.
"""

from monitor.digest.build import Digest, build_digest
from monitor.digest.config import DigestConfig, DigestConfigError, SmtpSettings, load_digest_config
from monitor.digest.deliver import CHANNELS, DeliveryError
from monitor.digest.render import render, render_html, render_json, render_markdown
from monitor.digest.send import SendResult, last_delivered_at, send_digest

__all__ = [
    "CHANNELS",
    "DeliveryError",
    "Digest",
    "DigestConfig",
    "DigestConfigError",
    "SendResult",
    "SmtpSettings",
    "build_digest",
    "last_delivered_at",
    "load_digest_config",
    "render",
    "render_html",
    "render_json",
    "render_markdown",
    "send_digest",
]
