"""Digest delivery settings: the ``[digest]`` table of a TOML settings file, overridden by environment variables.

The file is ``--config`` / ``SPEECHWATCH_CONFIG``, else ``./speechwatch.toml`` when it exists; other tables of the
same file (for other parts of speechwatch) are left alone. Every problem is one line naming the file and key.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

ENV_CONFIG = "SPEECHWATCH_CONFIG"
DEFAULT_CONFIG = Path("speechwatch.toml")
CHANNEL_NAMES = ("file", "stdout", "smtp", "webhook")
FORMATS = ("md", "html", "json")
SECURITY = {"starttls": 587, "ssl": 465, "none": 25}
DIGEST_KEYS = {"channels", "format", "directory", "webhook_url", "webhook_timeout", "idle_runs", "smtp"}
SMTP_KEYS = {"host", "port", "security", "username", "password", "from", "to", "timeout", "cafile", "subject"}
# environment variable -> (table, key); values override the file
ENV_KEYS = {
    "SPEECHWATCH_DIGEST_CHANNELS": ("digest", "channels"),
    "SPEECHWATCH_DIGEST_FORMAT": ("digest", "format"),
    "SPEECHWATCH_DIGEST_DIR": ("digest", "directory"),
    "SPEECHWATCH_DIGEST_WEBHOOK": ("digest", "webhook_url"),
    "SPEECHWATCH_SMTP_HOST": ("smtp", "host"),
    "SPEECHWATCH_SMTP_PORT": ("smtp", "port"),
    "SPEECHWATCH_SMTP_SECURITY": ("smtp", "security"),
    "SPEECHWATCH_SMTP_USER": ("smtp", "username"),
    "SPEECHWATCH_SMTP_PASSWORD": ("smtp", "password"),
    "SPEECHWATCH_SMTP_FROM": ("smtp", "from"),
    "SPEECHWATCH_SMTP_TO": ("smtp", "to"),
}
LIST_KEYS = {"channels", "to"}


class DigestConfigError(ValueError):
    """A digest setting that cannot work, phrased as one line for the user."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str | None = None
    port: int | None = None  # default by security: 587 starttls, 465 ssl, 25 none
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    sender: str | None = None
    to: tuple[str, ...] = ()
    timeout: float = 30.0  # seconds
    cafile: str | None = None  # CA bundle to trust (a private mail server); default: the system's
    subject: str = "speechwatch digest"

    @property
    def effective_port(self) -> int:
        return self.port or SECURITY[self.security]


@dataclass(frozen=True)
class DigestConfig:
    channels: tuple[str, ...] = ()
    format: str = "md"  # for the file and stdout channels
    directory: Path = Path("data") / "digests"
    webhook_url: str | None = None
    webhook_timeout: float = 10.0  # seconds
    idle_runs: int = 5  # source health: runs without anything new before a source is reported idle
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    origin: str = "defaults"  # where the settings came from, for messages

    def with_channels(self, *channels: str, format: str | None = None) -> DigestConfig:  # noqa: A002
        return replace(self, channels=tuple(channels), format=format or self.format)

    def check(self) -> DigestConfig:
        """Raise :class:`DigestConfigError` unless every configured channel has what it needs."""
        where = self.origin
        if not self.channels:
            raise DigestConfigError(
                f"{where}: no digest channel configured (set [digest] channels = [...] in speechwatch.toml "
                f"or SPEECHWATCH_DIGEST_CHANNELS to some of {', '.join(CHANNEL_NAMES)})"
            )
        unknown = [c for c in self.channels if c not in CHANNEL_NAMES]
        if unknown:
            raise DigestConfigError(f"{where}: [digest] channels: unknown {unknown} (use {', '.join(CHANNEL_NAMES)})")
        if self.format not in FORMATS:
            raise DigestConfigError(f"{where}: [digest] format: {self.format!r} is not one of {', '.join(FORMATS)}")
        if "webhook" in self.channels:
            parts = urlsplit(self.webhook_url or "")
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise DigestConfigError(f"{where}: [digest] webhook_url: need an http(s) URL, got {self.webhook_url!r}")
        if "smtp" in self.channels:
            smtp = self.smtp
            missing = [k for k, v in (("host", smtp.host), ("from", smtp.sender), ("to", smtp.to)) if not v]
            if missing:
                raise DigestConfigError(f"{where}: [digest.smtp] needs {', '.join(missing)} for the smtp channel")
            if smtp.security not in SECURITY:
                raise DigestConfigError(
                    f"{where}: [digest.smtp] security: {smtp.security!r} is not one of {', '.join(SECURITY)}"
                )
            if smtp.password and not smtp.username:
                raise DigestConfigError(f"{where}: [digest.smtp] password given without username")
        return self


def load_digest_config(path: Path | str | None = None, env: Mapping[str, str] | None = None) -> DigestConfig:
    """Settings from ``path`` (or ``$SPEECHWATCH_CONFIG``, or ``./speechwatch.toml`` if present) and the environment."""
    env = os.environ if env is None else env
    explicit = path or env.get(ENV_CONFIG)
    config_path = Path(explicit) if explicit else (DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None)
    digest: dict = {}
    smtp: dict = {}
    origin = "environment"
    if config_path is not None:
        origin = str(config_path)
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise DigestConfigError(f"{config_path}: settings file not found") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise DigestConfigError(f"{config_path}: cannot read: {exc}") from None
        except tomllib.TOMLDecodeError as exc:
            raise DigestConfigError(f"{config_path}: not valid TOML: {exc}") from None
        digest = dict(data.get("digest") or {})
        if not isinstance(digest, dict):
            raise DigestConfigError(f"{config_path}: [digest] must be a table")
        smtp = dict(digest.pop("smtp", None) or {})
        _no_unknown(config_path, "[digest]", digest, DIGEST_KEYS)
        _no_unknown(config_path, "[digest.smtp]", smtp, SMTP_KEYS)
    used_env = False
    for name, (table, key) in ENV_KEYS.items():
        value = env.get(name)
        if value:
            used_env = True
            target = digest if table == "digest" else smtp
            target[key] = [v.strip() for v in value.split(",") if v.strip()] if key in LIST_KEYS else value
    if used_env and config_path is not None:
        origin += " + environment"
    return DigestConfig(
        channels=tuple(_list(origin, "channels", digest.get("channels", ()))),
        format=str(digest.get("format", "md")),
        directory=Path(digest.get("directory", DigestConfig.directory)).expanduser(),
        webhook_url=digest.get("webhook_url"),
        webhook_timeout=_number(origin, "webhook_timeout", digest.get("webhook_timeout", 10.0)),
        idle_runs=int(_number(origin, "idle_runs", digest.get("idle_runs", 5))),
        smtp=SmtpSettings(
            host=smtp.get("host"),
            port=int(_number(origin, "smtp port", smtp["port"])) if smtp.get("port") else None,
            security=str(smtp.get("security", "starttls")).lower(),
            username=smtp.get("username"),
            password=smtp.get("password"),
            sender=smtp.get("from"),
            to=tuple(_list(origin, "smtp to", smtp.get("to", ()))),
            timeout=_number(origin, "smtp timeout", smtp.get("timeout", 30.0)),
            cafile=smtp.get("cafile"),
            subject=str(smtp.get("subject", "speechwatch digest")),
        ),
        origin=origin,
    )


def _no_unknown(path: Path, table: str, values: dict, known: set[str]) -> None:
    unknown = sorted(set(values) - known)
    if unknown:
        raise DigestConfigError(f"{path}: {table}: unknown key(s) {unknown} (known: {', '.join(sorted(known))})")


def _list(origin: str, key: str, value) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise DigestConfigError(f"{origin}: {key}: need a list of strings, got {value!r}")
    return list(value)


def _number(origin: str, key: str, value) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DigestConfigError(f"{origin}: {key}: need a number, got {value!r}") from None
    if number <= 0:
        raise DigestConfigError(f"{origin}: {key}: must be positive, got {value!r}")
    return number
