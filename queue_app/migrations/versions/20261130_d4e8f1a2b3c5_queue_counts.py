"""queue counts: waiting tickets per service and day, kept as tickets move; indexes for the line's front
and a service's latest finished tickets (issue 15: costs that do not grow with the queue)

Revision ID: d4e8f1a2b3c5
Revises: c3a9e1f7d2b4
Create Date: 2026-11-30 16:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e8f1a2b3c5'
down_revision = 'c3a9e1f7d2b4'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('queue_counts',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('service_day', sa.Date(), nullable=False),
    sa.Column('waiting', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_queue_counts_service_id_services')),
    sa.PrimaryKeyConstraint('service_id', 'service_day', name=op.f('pk_queue_counts'))
    )
    # the tickets waiting now, counted once; from here on each change adds to its row (queue_app.queue.counts)
    op.execute("INSERT INTO queue_counts (service_id, service_day, waiting) "
               "SELECT service_id, service_day, count(*) FROM tickets WHERE status = 'waiting' "
               "GROUP BY service_id, service_day")
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index('ix_tickets_line', ['service_day', 'status', 'priority', 'queue_at', 'id'],
                              unique=False)
        batch_op.create_index('ix_tickets_finished', ['service_id', 'finished_at'], unique=False)


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_finished')
        batch_op.drop_index('ix_tickets_line')
    op.drop_table('queue_counts')
