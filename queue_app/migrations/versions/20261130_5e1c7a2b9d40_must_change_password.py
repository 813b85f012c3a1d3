"""users.must_change_password: a generated password must be changed at first sign-in

Revision ID: 5e1c7a2b9d40
Revises: 5c1d2e7a9b30
Create Date: 2026-11-30 08:40:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5e1c7a2b9d40'
down_revision = '5c1d2e7a9b30'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
