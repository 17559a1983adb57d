"""The one settings class: environment (`SAASPORT_*`), an optional TOML file, then defaults."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    """Everything saasport can be told; passed into `create_app(settings)`."""

    model_config = SettingsConfigDict(env_prefix="SAASPORT_", extra="ignore")

    data_dir: Path = Path("./saasport-data")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default is a SQLite file in data_dir.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Master key (≥ 32 characters). Derives the encryption and signing keys; "
        "when unset, one is generated once into data_dir/secret.key.",
    )
    dev_mode: bool = Field(
        default=False,
        description="Allow http://localhost entry URLs and plain-HTTP cookies; not for production.",
    )
    base_url: str = "http://127.0.0.1:8000"
    site_name: str = "saasport"
    default_locale: str = "zh_CN"

    jump_token_ttl_seconds: int = 300
    access_token_ttl_seconds: int = 12 * 3600
    id_token_ttl_seconds: int = Field(
        default=3600, description="How long OpenID Connect ID tokens (and QingCloud's) live."
    )
    session_ttl_seconds: int = 14 * 24 * 3600
    api_login_token_ttl_seconds: int = 30 * 24 * 3600

    login_max_failures: int = 5
    login_ip_max_failures: int = 50
    login_failure_window_seconds: int = 900
    login_lockout_base_seconds: int = 30

    register_ip_max_attempts: int = Field(
        default=20, description="Registrations one client address may try per window."
    )
    register_window_seconds: int = 3600

    signature_window_seconds: int = 300
    scheduler_interval_seconds: int = Field(
        default=60, ge=0, le=3600, description="Renewals and expiry run this often; 0: not here."
    )
    outbox_interval_seconds: float = Field(
        default=1.0,
        ge=0,
        le=60,
        description="How often this process's delivery worker looks for due provisioning "
        "calls when it found none; 0: no worker in this process (run `saasport worker`).",
    )
    outbox_timeout_seconds: float = Field(
        default=20.0, gt=0, le=120, description="How long a call to an app may take."
    )
    outbox_window_minutes: int = Field(
        default=60, ge=1, le=7 * 24 * 60, description="How long a call is retried."
    )
    outbox_new_purchase_window_minutes: int = Field(
        default=180,
        ge=1,
        le=7 * 24 * 60,
        description="How long the call for a new purchase is retried.",
    )
    outbox_batch: int = Field(
        default=100, ge=1, le=1000, description="Calls one worker has in flight at once."
    )
    usage_late_days: int = Field(
        default=21, ge=1, le=90, description="Usage records may arrive this long after they began."
    )
    pdf_font: str = Field(
        default="",
        description="A TrueType/OpenType font with Chinese glyphs for PDF bills (.ttf, .otf, "
        ".ttc); empty: the first of the usual system fonts (fonts-noto-cjk, wqy) found.",
    )
    commission_bp: int = Field(
        default=2000, ge=0, le=10000, description="The platform's share of a sale (basis points)."
    )
    grace_days: int = Field(default=7, ge=0, le=90, description="Unpaid renewal → suspended for.")
    retention_days: int = Field(default=15, ge=0, le=365, description="Expired → released after.")
    price_notice_days: int = Field(
        default=30, ge=0, le=365, description="A new price applies to renewals after this."
    )
    currency: str = Field(
        default="CNY",
        pattern=r"^[A-Z]{3}$",
        description="The one currency of this deployment (ISO 4217); amounts in micro-units.",
    )
    secret_rotation_overlap_seconds: int = Field(
        default=24 * 3600,
        description="How long an app secret keeps working after it was rotated.",
    )
    argon2_memory_kib: int = 65536
    argon2_time_cost: int = 3
    argon2_concurrency: int = Field(
        default=2, description="Password hashes computed at once (each holds argon2_memory_kib)."
    )
    max_body_bytes: int = Field(
        default=1024 * 1024, description="Largest request body, uploads excepted."
    )
    max_upload_bytes: int = Field(
        default=26 * 1024 * 1024, description="Largest upload request (six 4 MB screenshots)."
    )
    max_header_bytes: int = Field(default=16 * 1024, description="Largest request head.")

    mail_backend: Literal["console", "smtp", "memory"] = Field(
        default="console", description="console: mail is written to the log (development)."
    )
    mail_from: str = "saasport <noreply@localhost>"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    db_pool_size: int = Field(default=30, description="PostgreSQL connections per process.")
    db_max_overflow: int = Field(
        default=0, description="Extra connections under bursts (opened and closed each time)."
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token for /metrics; without it, only loopback clients in dev mode.",
    )
    trusted_proxies: str = Field(
        default="",
        description="Addresses of reverse proxies whose X-Forwarded-For/-Proto to believe "
        "(comma-separated, as uvicorn's forwarded_allow_ips). Empty: none; clients are "
        "then identified by their own address, which behind a proxy is the proxy's.",
    )
    log_json: bool = False
    access_log: bool = True
    log_level: str = "INFO"

    config_file: Path | None = Field(default=None, description="Optional TOML file of settings.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config_file = os.environ.get("SAASPORT_CONFIG_FILE")
        if config_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.secret_key is not None and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("secret_key must be at least 32 characters")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'saasport.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.effective_database_url.startswith("sqlite")

    @property
    def jump_token_ttl(self) -> timedelta:
        return timedelta(seconds=self.jump_token_ttl_seconds)

    @property
    def secure_cookies(self) -> bool:
        return not self.dev_mode

    def master_key(self) -> bytes:
        """The configured master key, or the one kept in data_dir (created on first use)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.data_dir / "secret.key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
        return path.read_text().strip().encode()


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and config file, with explicit overrides on top."""
    return Settings(**overrides)
