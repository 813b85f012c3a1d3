"""catalogue version: one row whose token the database changes with any write to agencies, services or
settings, so each process can keep those rows in memory and check them with one short read (issue 15)

Revision ID: e7f2a9c4b1d6
Revises: d4e8f1a2b3c5
Create Date: 2026-12-01 12:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

from queue_app.core.models.services import catalogue_triggers, catalogue_triggers_dropped


# revision identifiers, used by Alembic.
revision = 'e7f2a9c4b1d6'
down_revision = 'd4e8f1a2b3c5'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('catalogue_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_version'))
    )
    for statement in catalogue_triggers(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade():
    for statement in catalogue_triggers_dropped(op.get_bind().dialect.name):
        op.execute(statement)
    op.drop_table('catalogue_version')
