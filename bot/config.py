"""Settings: the one place the bot reads its configuration (environment and ``.env``)."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.numbers import parse_int
from bot.pacing import Limits
from storage.deliveries import PushPolicy
from storage.ingest.service import Sources
from storage.urls import clean_url


class ConfigError(Exception):
    """A missing or bad setting; the message is one line naming the variable."""


#: Telegram calls webhooks only on these ports (setWebhook refuses any other).
WEBHOOK_PORTS = frozenset({443, 80, 88, 8443})
#: What Telegram accepts as setWebhook's secret_token.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
#: The characters a webhook path may hold (it also becomes the listener's route).
_WEBHOOK_PATH = re.compile(r"[A-Za-z0-9/_.~-]*")
_DECIMAL = re.compile(r"([^.٫]*)[.٫]([^.٫]*)")
_MAX_NUMBER_CHARS = 30


def parse_number(text: str, *, integer: bool) -> int | float | None:
    """A setting's number in ASCII or Arabic-Indic digits (``٣٠٠`` is 300; ``0.5``, ``٠٫٥``);
    None for anything else (``²``, other scripts' digits, ``1e3``, ``inf``, ``1_000``).

    Digits follow ``bot.numbers.parse_int``, the one rule for every number the bot reads.
    """
    text = text.strip()
    if len(text) > _MAX_NUMBER_CHARS:
        return None
    decimal = _DECIMAL.fullmatch(text)
    if decimal is None:
        whole = parse_int(text)
        if whole is None:
            return None
        return whole if integer else float(whole)
    whole_text, fraction = decimal.groups()
    if integer or parse_int(whole_text) is None or not fraction or fraction[0] in "+-":
        return None
    digits = parse_int(whole_text + fraction)  # "1" "5" -> 15, then / 10
    return None if digits is None else digits / 10 ** len(fraction)


@dataclass(frozen=True)
class Webhook:
    """Webhook mode: Telegram POSTs updates to ``url``; the bot listens on ``listen:port``
    at ``url``'s path, behind a reverse proxy that terminates TLS."""

    url: str
    path: str
    secret: str
    listen: str
    port: int


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    bot_token: SecretStr | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    database_path: Path = Path("data/newsbot.db")
    telegram_api_url: str = "https://api.telegram.org/bot"
    push_interval_seconds: int = Field(default=300, ge=1, le=86_400)
    seeds_dir: Path = Path("seeds")
    default_language: Literal["ar", "en"] = "ar"
    #: The readers' time zone (IANA name) for the dates shown with articles.
    timezone: str = "UTC"
    # Telegram's flood limits, as the sender keeps them.
    private_per_second: float = Field(default=1.0, gt=0, le=100)
    group_per_minute: int = Field(default=20, ge=1, le=6000)
    global_per_second: int = Field(default=30, ge=1, le=1000)
    send_concurrency: int = Field(default=8, ge=1, le=100)
    # What counts as news, and how much of it one push may send a chat.
    fresh_hours: float = Field(default=24.0, gt=0, le=24 * 365)
    push_batch_max: int = Field(default=5, ge=1, le=50)
    # Feeds fetched at start and then every interval (editors add more with /feeds add).
    feeds: Annotated[tuple[str, ...], NoDecode] = ()
    #: Pin breaking news (/urgent) in the groups and channels where the bot has that right.
    pin_urgent: bool = False
    feed_interval_seconds: float = Field(default=300.0, gt=0, le=86_400)
    # Webhook mode (without WEBHOOK_URL the bot long-polls).
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65_535)

    @field_validator("*", mode="before")
    @classmethod
    def _number(cls, value: object, info: ValidationInfo) -> object:
        """Every int and float setting: ASCII or Arabic-Indic digits, nothing else."""
        assert info.field_name is not None
        kind = cls.model_fields[info.field_name].annotation
        if kind not in (int, float) or not isinstance(value, str):
            return value
        if not value.strip():
            raise ValueError("is empty: write a number or leave the variable out")
        number = parse_number(value, integer=kind is int)
        if number is None:
            shown = value.strip()[:_MAX_NUMBER_CHARS]
            whole = "a whole number" if kind is int else "a number"
            raise ValueError(f"{shown!r} is not {whole} in digits 0-9 or ٠-٩")
        return number

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            ids = set()
            for part in (p.strip() for p in value.split(",")):
                if not part:
                    continue
                user_id = parse_number(part, integer=True)
                if user_id is None:
                    raise ValueError(
                        f"{part[:_MAX_NUMBER_CHARS]!r} is not a numeric Telegram user id"
                    )
                ids.add(user_id)
            return frozenset(ids)
        return value

    @field_validator("feeds", mode="before")
    @classmethod
    def _split_feeds(cls, value: object) -> object:
        if isinstance(value, str):
            urls = tuple(dict.fromkeys(value.replace(",", " ").split()))
            for url in urls:
                if clean_url(url) is None:
                    raise ValueError(f"{url[:80]!r} is not an http(s) address")
            return urls
        return value

    @field_validator("telegram_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone name such as Asia/Damascus") from None
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        token = value.get_secret_value().strip()
        if not token:
            return None
        bot_id, _, secret = token.partition(":")
        if not bot_id.isdigit() or not secret or any(c.isspace() for c in token):
            # never echo the token itself
            raise ValueError("does not look like a token from BotFather (digits:secret)")
        return SecretStr(token)

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _webhook_url(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        url = value.strip()
        if not url:
            return None
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise ValueError(f"{url[:80]!r} is not a URL") from None
        if parts.scheme != "https":
            raise ValueError(
                "must start with https:// (Telegram calls webhooks over TLS only; let a reverse"
                " proxy terminate it, see README)"
            )
        if not parts.hostname or parts.username is not None or parts.password is not None:
            raise ValueError(f"{url[:80]!r} names no host such as bot.example.com")
        if port is not None and port not in WEBHOOK_PORTS:
            raise ValueError(
                f"Telegram calls webhooks only on ports 443, 80, 88 or 8443, not {port}"
            )
        if parts.query or parts.fragment or "?" in url or "#" in url:
            raise ValueError("must have no ?query or #fragment: put the secret in WEBHOOK_SECRET")
        if not _WEBHOOK_PATH.fullmatch(parts.path):
            raise ValueError("its path may hold only letters, digits and / _ . ~ -")
        return url

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _webhook_secret(cls, value: object) -> object:
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(raw, str):
            return value
        secret = raw.strip()
        if not secret:
            return None
        if not _SECRET.fullmatch(secret):
            # never echo the secret itself
            raise ValueError("must be 1 to 256 characters of A-Z a-z 0-9 _ - (Telegram's rule)")
        return secret

    @field_validator("webhook_listen")
    @classmethod
    def _listen_address(cls, value: str) -> str:
        address = value.strip()
        if address == "localhost":
            return address
        try:
            ipaddress.ip_address(address)
        except ValueError:
            raise ValueError(
                f"{address[:80]!r} is not an IP address such as 127.0.0.1 (0.0.0.0 in a container)"
            ) from None
        return address

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Self:
        if self.webhook_url is not None and self.webhook_secret is None:
            raise ValueError(
                "WEBHOOK_SECRET: required when WEBHOOK_URL is set (1 to 256 characters of"
                " A-Z a-z 0-9 _ -, e.g. from: python3 -c 'import secrets;"
                " print(secrets.token_urlsafe(32))')"
            )
        return self

    def webhook(self) -> Webhook | None:
        """Webhook mode's settings, or None to long-poll."""
        if self.webhook_url is None or self.webhook_secret is None:
            return None
        return Webhook(
            url=self.webhook_url,
            path=urlsplit(self.webhook_url).path or "/",
            secret=self.webhook_secret.get_secret_value(),
            listen=self.webhook_listen,
            port=self.webhook_port,
        )

    def make_database_folder(self) -> None:
        """Create DATABASE_PATH's folder; ConfigError naming DATABASE_PATH when it cannot be."""
        folder = self.database_path.parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"DATABASE_PATH: cannot create the folder {folder} ({exc.strerror or exc})"
            ) from None

    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def limits(self) -> Limits:
        return Limits(
            private_per_second=self.private_per_second,
            group_per_minute=self.group_per_minute,
            global_per_second=self.global_per_second,
        )

    def sources(self) -> Sources:
        return Sources(
            feeds=self.feeds,
            interval=self.feed_interval_seconds,
            fresh_hours=self.fresh_hours,
            seeds_dir=self.seeds_dir,
        )

    def push_policy(self) -> PushPolicy:
        return PushPolicy(batch_max=self.push_batch_max, fresh_hours=self.fresh_hours)

    def token(self) -> str:
        """The token for ``run``; ConfigError when it is missing."""
        if self.bot_token is None:
            raise ConfigError(
                "BOT_TOKEN is not set: put the token from @BotFather in .env or the environment"
            )
        return self.bot_token.get_secret_value()


def load_settings(**overrides: object) -> Settings:
    """Read the settings; a missing or bad value raises ConfigError with one clear line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        err = exc.errors()[0]
        message = str(err["msg"]).removeprefix("Value error, ")
        if not err["loc"]:  # a rule between settings: its message names the variable
            raise ConfigError(message) from None
        raise ConfigError(f"{str(err['loc'][0]).upper()}: {message}") from None
