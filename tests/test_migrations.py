"""Alembic migrations build the same schema as the models, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from queue_app import MIGRATIONS_DIR, create_app
from queue_app.core.config import TestConfig
from queue_app.core.extensions import db


def _upgrade_and_diff(site, url: str) -> list:
    from flask_migrate import downgrade, upgrade

    app = create_app(TestConfig, site=site, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(directory=MIGRATIONS_DIR)
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
        downgrade(directory=MIGRATIONS_DIR, revision="base")
        upgrade(directory=MIGRATIONS_DIR)
        db.session.remove()
        db.engine.dispose()
    return diff


def test_migrations_match_models_sqlite(tmp_path, site):
    assert _upgrade_and_diff(site, f"sqlite:///{tmp_path / 'm.db'}") == []


@pytest.mark.postgres
def test_migrations_match_models_postgres(site, pg_url):
    assert _upgrade_and_diff(site, pg_url) == []
