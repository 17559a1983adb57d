"""The migrations build exactly the models' schema, and go down and up again."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from saasport.config import Settings
from saasport.db.migrate import downgrade, upgrade
from saasport.db.models import Base


def test_models_match_migrations_and_round_trip(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="k" * 40)
    upgrade(settings)
    engine = create_engine(f"sqlite:///{tmp_path / 'saasport.db'}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    downgrade(settings, "base")
    upgrade(settings)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()
