"""queue versions: how many times each service's waiting line of a day moved (phones count their place)

Revision ID: c3a9e1f7d2b4
Revises: b00c14a1e5f2
Create Date: 2026-11-30 11:50:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c3a9e1f7d2b4'
down_revision = 'b00c14a1e5f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('queue_versions',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('version', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_queue_versions_service_id_services')),
    sa.PrimaryKeyConstraint('service_id', 'service_day', name=op.f('pk_queue_versions'))
    )


def downgrade():
    op.drop_table('queue_versions')
