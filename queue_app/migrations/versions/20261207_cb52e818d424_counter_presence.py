"""counter presence: the clerk panels connected to each counter (a counter is open when a clerk has it open);
bookings cancelled by the office closing their day keep the reason (issue 34)

Revision ID: cb52e818d424
Revises: e7f2a9c4b1d6
Create Date: 2026-12-07 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cb52e818d424'
down_revision = 'e7f2a9c4b1d6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('counter_presences',
    sa.Column('sid', sa.String(length=64), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('since', sa.DateTime(), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['counter_id'], ['counters.id'], name=op.f('fk_counter_presences_counter_id_counters'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_counter_presences_user_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('sid', name=op.f('pk_counter_presences'))
    )
    with op.batch_alter_table('counter_presences', schema=None) as batch_op:
        batch_op.create_index('ix_counter_presences_counter', ['counter_id', 'expires_at'], unique=False)
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('closed_reason', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('closed_reason')
    with op.batch_alter_table('counter_presences', schema=None) as batch_op:
        batch_op.drop_index('ix_counter_presences_counter')
    op.drop_table('counter_presences')
