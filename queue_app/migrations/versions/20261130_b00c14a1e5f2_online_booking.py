"""online booking: bookings, their slots and events; the queue time of tickets

Revision ID: b00c14a1e5f2
Revises: 5e1c7a2b9d40
Create Date: 2026-11-30 08:32:32.312524

"""
from alembic import op
import sqlalchemy as sa
import queue_app.core.models.base  # noqa: F401  (UTCDateTime columns)


# revision identifiers, used by Alembic.
revision = 'b00c14a1e5f2'
down_revision = '5e1c7a2b9d40'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('booking_slots',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start', sa.String(length=5), nullable=False),
    sa.Column('taken', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_booking_slots_service_id_services')),
    sa.PrimaryKeyConstraint('service_id', 'day', 'start', name=op.f('pk_booking_slots'))
    )
    op.create_table('bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('start', sa.String(length=5), nullable=False),
    sa.Column('end', sa.String(length=5), nullable=False),
    sa.Column('starts_at', queue_app.core.models.base.UTCDateTime(), nullable=False),
    sa.Column('ends_at', queue_app.core.models.base.UTCDateTime(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('booked', 'checked_in', 'cancelled', 'expired', name='bookingstate', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('created_at', queue_app.core.models.base.UTCDateTime(), nullable=False),
    sa.Column('checked_in_at', queue_app.core.models.base.UTCDateTime(), nullable=True),
    sa.Column('cancelled_at', queue_app.core.models.base.UTCDateTime(), nullable=True),
    sa.Column('expired_at', queue_app.core.models.base.UTCDateTime(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], name=op.f('fk_bookings_service_id_services')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_bookings_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bookings')),
    sa.UniqueConstraint('code', name=op.f('uq_bookings_code')),
    sa.UniqueConstraint('token', name=op.f('uq_bookings_token'))
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_phone', ['phone', 'service_id', 'day'], unique=False)
        batch_op.create_index('ix_bookings_slot', ['service_id', 'day', 'start'], unique=False)
        batch_op.create_index('ix_bookings_status_ends', ['status', 'ends_at'], unique=False)

    op.create_table('booking_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('booked', 'cancelled', 'checked_in', 'expired', name='bookingeventkind', native_enum=False, create_constraint=True, length=32), nullable=False),
    sa.Column('at', queue_app.core.models.base.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_booking_events_booking_id_bookings')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_booking_events_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_booking_events'))
    )
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_events_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_booking_events_booking_id'), ['booking_id'], unique=False)

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('queue_at', queue_app.core.models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('booked_slot_at', queue_app.core.models.base.UTCDateTime(), nullable=True))
    # every ticket so far was a walk-in: its queue time is its issue time
    op.execute("UPDATE tickets SET queue_at = issued_at")
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.alter_column('queue_at', existing_type=queue_app.core.models.base.UTCDateTime(), nullable=False)
        batch_op.create_index('ix_tickets_queue_at', ['service_day', 'status', 'service_id', 'priority', 'queue_at'], unique=False)



def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_queue_at')
        batch_op.drop_column('booked_slot_at')
        batch_op.drop_column('queue_at')

    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_booking_events_booking_id'))
        batch_op.drop_index(batch_op.f('ix_booking_events_at'))

    op.drop_table('booking_events')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_status_ends')
        batch_op.drop_index('ix_bookings_slot')
        batch_op.drop_index('ix_bookings_phone')

    op.drop_table('bookings')
    op.drop_table('booking_slots')
