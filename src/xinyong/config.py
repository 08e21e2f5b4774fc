"""Settings: the only place that reads the environment."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class KeysMissing(RuntimeError):
    """No usable key material: the platform cannot seal or read identifiers without it."""


DEV_SECRET = "dev-only-not-secret"  # noqa: S105 - a marker the production guard refuses

#: Where `xinyong serve` and `xinyong demo` listen unless `--host` and `--port` say otherwise.
SERVE_HOST = "127.0.0.1"
SERVE_PORT = 8000

#: What binds every interface: no address a link can name.
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})  # noqa: S104 - recognised, never bound here


def served_at(host: str, port: int) -> str:
    """The address of a server bound to `host` and `port`, as a link names it."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class Settings(BaseSettings):
    """How one xinyong process is configured. Every field can be set as XINYONG_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="XINYONG_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./var/xinyong.db"
    """SQLAlchemy URL. SQLite is the embedded default; `postgresql://…` selects PostgreSQL."""

    environment: str = Field(default="development", pattern="^(development|test|production)$")
    """development, test or production. Production refuses dev secrets and SQLite."""

    secret_key: str = DEV_SECRET
    """Secret for signing sessions and tokens."""

    allow_sqlite_in_production: bool = False
    """Allow the embedded database in production (a single-office deployment)."""

    policy_dir: Path | None = None
    """A directory with the deployment's own policy files; the packaged defaults when unset."""

    catalog_version: str | None = None
    """The catalog version new records are accepted under; the policy's default when unset."""

    nats_servers: str = "nats://127.0.0.1:4222"
    """The JetStream cluster the exchange between platforms uses (comma-separated URLs)."""

    exchange_interval: float = Field(default=1.0, gt=0)
    """Seconds between the exchange's rounds (relay the outbox, consume each peer)."""

    exchange_replicas: int = Field(default=1, ge=1, le=5)
    """Copies the cluster keeps of this node's stream (3 in a three-server cluster)."""

    max_body_bytes: int = 64 * 1024 * 1024
    """Largest request body the API accepts (batch uploads)."""

    max_record_bytes: int = 64 * 1024
    """Largest body for a single record submission or a single check."""

    ingest_chunk_rows: int = Field(default=2000, ge=1)
    """Rows validated and committed together during ingestion; each chunk commits atomically."""

    ingest_sqlite_chunk_rows: int = Field(default=250, ge=1)
    """On SQLite, the most rows a chunk holds: the database's one write lock is held while a
    chunk is stored, and every check's query-log entry waits for it (docs/scale.md)."""

    sqlite_cache_mib: int = Field(default=2, ge=1, le=4096)
    """On SQLite, the page cache (MiB) of each writing connection, per database file (the main
    one and the query log's). Every pooled connection keeps up to twice this once it has read
    that much; 2 is about SQLite's own default (docs/scale.md, "Peak memory")."""

    log_level: str = "INFO"
    """Logging level of the server and the CLI."""

    access_log: bool = True
    """One JSON line per HTTP request (method, path, status, milliseconds; never a query string),
    written from a queue by a thread of its own (web/accesslog.py)."""

    fast_checks: bool = True
    """Serve `POST /api/v1/checks` past FastAPI's route table (web/fastpath.py). Off, the same
    route answers through ordinary routing: the answers are the same, only slower."""

    freeze_heap: bool = True
    """After the listing index is built, exempt what exists from garbage collection (`gc.freeze`):
    a large index would otherwise be walked by every full collection, stalling requests."""

    identity_verifier: Literal["counter"] = "counter"
    """How a registration's real name is verified before its account opens: `counter`, by
    credit-centre staff who see the ID card (`xinyong accounts verify`, or the API). An online
    verifier (a government identity service) plugs in as another value here and an
    `IdentityVerifier` in services/registrations.py: docs/portal.md."""

    pdf_processes: int = Field(default=1, ge=0, le=64)
    """Worker processes that print PDFs for the server (reports, notices and decisions), so a
    print never holds the server's interpreter while checks wait; 0 prints in the server's own
    process (tests, and the command line, which prints in its own process anyway). The workers
    start with the server and warm up (WeasyPrint, the font, the report's stylesheet) before the
    first print."""

    pdf_timeout: float = Field(default=60.0, gt=0, le=3600)
    """Seconds a PDF may take in the print workers, its wait for a free worker included; past
    them the request is answered 503 (problem details) and a worker still printing it is killed
    and started again. A worker that dies while printing is answered the same way."""

    password_workers: int = Field(default=2, ge=1, le=64)
    """Password verifications (argon2, tens of milliseconds of a core each) that run at once in
    a server process; more logins wait for a slot, so logins can never take every core from the
    checks (docs/security.md)."""

    password_queue: int = Field(default=16, ge=0, le=10_000)
    """Logins that may wait for a password slot; beyond them a login is refused at once with
    429 and `Retry-After: 1`."""

    telemetry: bool = False
    """OpenTelemetry traces, metrics and logs through FastAPI (providers from the OTEL_* variables).
    Off, FastAPI does not look for providers on every request."""

    public_url: str | None = Field(default=None, pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$")
    """The address people reach the platform at (scheme, host, port, and any path in front of
    /portal), printed in the links of a person's report (HTML, PDF, JSON). Unset: the address
    `xinyong serve` binds (`http://127.0.0.1:8000`, or its `--host` and `--port`)."""

    key_file: Path = Path("var/keys.json")
    """The key file (JSON, written by `xinyong keys init`): the data keys that seal ID numbers,
    the keyed-hash key and the checkpoint signing key (docs/at-rest.md). Never in the database."""

    keys: SecretStr | None = None
    """The same key material as the key file's JSON text, for deployments that pass secrets in
    the environment (`XINYONG_KEYS`); when set, the key file is not read."""

    def chunk_rows(self) -> int:
        """Rows per committed chunk of a batch on the configured database."""
        if self.database_url.startswith("sqlite"):
            return min(self.ingest_chunk_rows, self.ingest_sqlite_chunk_rows)
        return self.ingest_chunk_rows

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.environment == "production":
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise ValueError(
                    "XINYONG_SECRET_KEY must be set to 32+ random characters in production"
                )
            if self.database_url.startswith("sqlite") and not self.allow_sqlite_in_production:
                raise ValueError(
                    "production refuses SQLite; set XINYONG_DATABASE_URL to PostgreSQL"
                    " or XINYONG_ALLOW_SQLITE_IN_PRODUCTION=true"
                )
        return self

    def key_material(self) -> dict[str, Any]:
        """The key material, from `keys` or else the key file; a clear error when neither has it."""
        if self.keys is not None:
            text, where = self.keys.get_secret_value(), "XINYONG_KEYS"
        else:
            try:
                text, where = self.key_file.read_text(encoding="utf-8"), str(self.key_file)
            except FileNotFoundError:
                raise KeysMissing(
                    f"no key file at {self.key_file}: run `xinyong keys init` to write one, or set"
                    " XINYONG_KEY_FILE or XINYONG_KEYS (docs/at-rest.md)"
                ) from None
        try:
            material = json.loads(text)
        except ValueError:
            raise KeysMissing(f"{where} is not JSON key material (docs/at-rest.md)") from None
        if not isinstance(material, dict):
            raise KeysMissing(f"{where} is not JSON key material (docs/at-rest.md)")
        return material

    def base_url(self) -> str:
        """The platform's public address, without a trailing slash (`public_url`)."""
        return (self.public_url or served_at(SERVE_HOST, SERVE_PORT)).rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def get_settings() -> Settings:
    """Build settings from the environment (and `.env` in development)."""
    return Settings()


def bind_public_url(host: str, port: int) -> str:
    """`xinyong serve` on `host` and `port`: the platform's public address, which is the bound
    one unless XINYONG_PUBLIC_URL (or `.env`) names another. The bound one is set in the
    environment, where every process of the server reads its settings (uvicorn builds the app
    in each worker, and the print workers are built from those settings)."""
    if (given := get_settings().public_url) is not None:
        return given.rstrip("/")
    os.environ["XINYONG_PUBLIC_URL"] = served = served_at(host, port)
    return served
