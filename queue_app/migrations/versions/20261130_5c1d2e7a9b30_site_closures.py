"""site closures: days an admin closes the whole building, with a reason

Revision ID: 5c1d2e7a9b30
Revises: 6c3d24a030b6
Create Date: 2026-11-30 08:45:00

"""
from alembic import op
import sqlalchemy as sa

import queue_app.core.models.base


# revision identifiers, used by Alembic.
revision = '5c1d2e7a9b30'
down_revision = '6c3d24a030b6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('site_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', queue_app.core.models.base.UTCDateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_site_closures_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_site_closures')),
    sa.UniqueConstraint('day', name=op.f('uq_site_closures_day'))
    )


def downgrade():
    op.drop_table('site_closures')
