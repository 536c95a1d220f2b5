"""The installed pack a command works on: where it lives, its config, its stores."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from brctl.install import read_record
from brctl.manifest import Manifest
from brctl.target import pack_dir, resolve_target
from brctl.yamlfile import load_model
from finance_pack.config import FinanceConfig, load_config
from finance_pack.errors import UsageError
from finance_pack.secrets import read_secret

PACK_NAME = "finance"
DATABASE_URL_ENV = "FINANCE_DATABASE_URL"
COST_STORE_URL_ENV = "FINANCE_COST_STORE_URL"


@dataclass(frozen=True)
class PackContext:
    target: Path
    pack_dir: Path

    @property
    def config_path(self) -> Path:
        return self.pack_dir / "finance.yaml"

    @property
    def manifest_path(self) -> Path:
        return self.pack_dir / "pack.yaml"

    @property
    def roles_path(self) -> Path:
        return self.pack_dir / "roles.yaml"

    @property
    def state_dir(self) -> Path:
        return self.pack_dir / "state"

    @cached_property
    def config(self) -> FinanceConfig:
        return load_config(self.config_path)

    @cached_property
    def manifest(self) -> Manifest:
        return load_model(Manifest, self.manifest_path)

    @property
    def state_db_url(self) -> str:
        return read_secret(DATABASE_URL_ENV) or f"sqlite:///{self.state_dir / 'finance.db'}"

    @property
    def cost_store_url(self) -> str:
        return read_secret(COST_STORE_URL_ENV) or f"duckdb:///{self.state_dir / 'costs.duckdb'}"


def load_context(target: Path | None = None) -> PackContext:
    """The finance pack installed under `--target` / `$BLACKROAD_HOME` / `/srv/blackroad`."""
    root = resolve_target(target)
    directory = pack_dir(root, PACK_NAME)
    if not directory.is_dir() or read_record(directory) is None:
        raise UsageError(
            f"the finance pack is not installed in {root}",
            hint=f"run: brctl pack install finance --target={root}",
        )
    return PackContext(target=root, pack_dir=directory)
