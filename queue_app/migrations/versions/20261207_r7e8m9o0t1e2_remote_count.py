"""the day's count of tickets joined from afar on the day's number row, so a join's quota is checked in the
statement that takes its number (issue 31: one round trip fewer while the line's row is locked)

Revision ID: r7e8m9o0t1e2
Revises: n1a2b3c4d5e6
Create Date: 2026-12-07 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'r7e8m9o0t1e2'
down_revision = 'n1a2b3c4d5e6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('daily_numbers') as batch_op:
        batch_op.add_column(sa.Column('remote', sa.Integer(), server_default='0', nullable=False))
    # the joins already made count: the same count the quota read before
    op.execute(
        "UPDATE daily_numbers SET remote = (SELECT count(*) FROM tickets t "
        "WHERE t.issued_service_id = daily_numbers.service_id AND t.service_day = daily_numbers.service_day "
        "AND t.checkin_code IS NOT NULL)")


def downgrade():
    with op.batch_alter_table('daily_numbers') as batch_op:
        batch_op.drop_column('remote')
