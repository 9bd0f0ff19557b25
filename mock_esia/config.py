"""Mock ESIA settings (environment prefix ``MOCK_ESIA_``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_DIR = Path(__file__).parent / "data"


class MockSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOCK_ESIA_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8001, ge=1, le=65535)
    base_url: str = "http://127.0.0.1:8001"
    issuer: str = "http://127.0.0.1:8001/"
    dev: bool = False
    accounts_file: Path = DATA_DIR / "accounts.yaml"
    clients_file: Path = DATA_DIR / "clients.yaml"
    token_alg: Literal["RS256", "GOST3410_2012_256"] = "RS256"  # noqa: S105 - an algorithm name
    redis_url: str | None = None
    kv_prefix: str = "mock_esia:"
    log_level: str = "INFO"

    timestamp_drift_seconds: int = Field(default=300, ge=1)
    code_ttl: int = Field(default=300, ge=5)
    access_token_ttl: int = Field(default=3600, ge=5)
    refresh_token_ttl: int = Field(default=30 * 86_400, ge=60)
    transaction_ttl: int = Field(default=1800, ge=60)
    max_password_failures: int = Field(default=5, ge=1)
    lockout_minutes: float = Field(default=15, gt=0)
    password_max_age_days: int = Field(default=90, ge=1)
    otp_ttl: int = Field(default=300, ge=30)
    max_otp_failures: int = Field(default=3, ge=1)
    max_parameter_length: int = Field(default=4096, ge=256)
