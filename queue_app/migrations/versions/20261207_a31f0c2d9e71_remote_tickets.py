"""joining from afar and leaving the line: a ticket's phone, check-in code, arrival, the ``arrived`` event kind

Revision ID: a31f0c2d9e71
Revises: c3d4e5f6a7b8
Create Date: 2026-12-07 15:30:00

"""
from alembic import op
import sqlalchemy as sa
import queue_app.core.models.base  # noqa: F401  (UTCDateTime columns)


KINDS = ('issued', 'called', 'recalled', 'started', 'finished', 'no_show', 'transferred', 'cancelled', 'reprinted',
         'routed')


def _kind(*extra: str) -> sa.Enum:
    # the CHECK that keeps the log's kinds exact is part of the column's type (native_enum=False)
    return sa.Enum(*KINDS, *extra, name='eventkind', native_enum=False, create_constraint=True, length=32)


# revision identifiers, used by Alembic.
revision = 'a31f0c2d9e71'
down_revision = 'c3d4e5f6a7b8'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('checkin_code', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('arrived_at', queue_app.core.models.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('passed_at', queue_app.core.models.base.UTCDateTime(), nullable=True))
        batch_op.create_index('ix_tickets_checkin_code', ['checkin_code'], unique=True)
        batch_op.create_index('ix_tickets_remote', ['service_day', 'issued_service_id'], unique=False,
                              sqlite_where=sa.text('checkin_code IS NOT NULL'),
                              postgresql_where=sa.text('checkin_code IS NOT NULL'))
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=_kind(), type_=_kind('arrived'), existing_nullable=False)


def downgrade():
    # an arrival changes no state: the log forgets it
    op.execute("DELETE FROM ticket_events WHERE kind = 'arrived'")
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.alter_column('kind', existing_type=_kind('arrived'), type_=_kind(), existing_nullable=False)
    # not in batch mode: SQLite (3.35+) drops a column in place (see the visit routes' migration)
    op.drop_index('ix_tickets_remote', table_name='tickets')
    op.drop_index('ix_tickets_checkin_code', table_name='tickets')
    op.drop_column('tickets', 'passed_at')
    op.drop_column('tickets', 'arrived_at')
    op.drop_column('tickets', 'checkin_code')
    op.drop_column('tickets', 'phone')
