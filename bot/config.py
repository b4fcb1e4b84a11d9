"""Settings: the one place the bot reads its configuration (environment and ``.env``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.pacing import Limits
from storage.deliveries import PushPolicy
from storage.ingest.service import Sources
from storage.urls import clean_url


class ConfigError(Exception):
    """A missing or bad setting; the message is one line naming the variable."""


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
    feed_interval_seconds: float = Field(default=300.0, gt=0, le=86_400)

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            for p in parts:
                if not p.lstrip("-").isdigit():
                    raise ValueError(f"{p!r} is not a numeric Telegram user id")
            return frozenset(int(p) for p in parts)
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
        name = str(err["loc"][0]).upper() if err["loc"] else "settings"
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ConfigError(f"{name}: {message}") from None
