"""notices by WhatsApp or a gateway: the messages table, the visitor's language on a ticket, bookings' phones
stored as 62... like tickets' (issue 31)

Revision ID: n1a2b3c4d5e6
Revises: a31f0c2d9e71
Create Date: 2026-12-07 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'n1a2b3c4d5e6'
down_revision = 'a31f0c2d9e71'  # the ticket's phone
branch_labels = None
depends_on = None

KINDS = ('issued', 'ahead', 'come_now', 'called', 'missed', 'done', 'booked', 'reminder', 'notice')
STATES = ('queued', 'sent', 'delivered', 'read', 'failed')


def upgrade():
    op.create_table('notify_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum(*KINDS, name='messagekind', native_enum=False, create_constraint=True, length=32),
              nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('to', sa.String(length=20), nullable=True),
    sa.Column('lang', sa.String(length=2), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum(*STATES, name='messagestate', native_enum=False, create_constraint=True,
                                length=32), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
    sa.Column('provider_id', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('sent_at', sa.DateTime(), nullable=True),
    sa.Column('status_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=False),
    sa.Column('once_key', sa.String(length=60), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_notify_messages_booking_id_bookings')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_notify_messages_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notify_messages')),
    sa.UniqueConstraint('once_key', name=op.f('uq_notify_messages_once_key'))
    )
    with op.batch_alter_table('notify_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notify_messages_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notify_messages_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notify_messages_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index('ix_notify_messages_due', ['next_attempt_at'], unique=False,
                              sqlite_where=sa.text("status = 'queued'"),
                              postgresql_where=sa.text("status = 'queued'"))
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone_lang', sa.String(length=2), nullable=True))
        batch_op.create_index('ix_tickets_phone_waiting', ['service_id', 'service_day'], unique=False,
                              sqlite_where=sa.text("phone IS NOT NULL AND status = 'waiting'"),
                              postgresql_where=sa.text("phone IS NOT NULL AND status = 'waiting'"))
    # bookings' numbers as every other number now: digits starting 62 (queue_app.core.phones)
    op.execute("UPDATE bookings SET phone = '62' || substr(phone, 2) WHERE phone LIKE '0%'")


def downgrade():
    op.execute("UPDATE bookings SET phone = '0' || substr(phone, 3) WHERE phone LIKE '62%'")
    with op.batch_alter_table('notify_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_notify_messages_due', sqlite_where=sa.text("status = 'queued'"),
                            postgresql_where=sa.text("status = 'queued'"))
        batch_op.drop_index(batch_op.f('ix_notify_messages_provider_id'))
        batch_op.drop_index(batch_op.f('ix_notify_messages_booking_id'))
        batch_op.drop_index(batch_op.f('ix_notify_messages_ticket_id'))
    op.drop_table('notify_messages')
    op.drop_index('ix_tickets_phone_waiting', table_name='tickets')
    op.drop_column('tickets', 'phone_lang')
