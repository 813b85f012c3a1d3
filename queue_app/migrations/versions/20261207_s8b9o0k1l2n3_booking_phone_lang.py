"""the language of a booking's notices (the booking page's), as a ticket's phone has (issue 31)

Revision ID: s8b9o0k1l2n3
Revises: r7e8m9o0t1e2
Create Date: 2026-12-07 19:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 's8b9o0k1l2n3'
down_revision = 'r7e8m9o0t1e2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bookings') as batch_op:
        batch_op.add_column(sa.Column('phone_lang', sa.String(length=2), nullable=True))


def downgrade():
    with op.batch_alter_table('bookings') as batch_op:
        batch_op.drop_column('phone_lang')
