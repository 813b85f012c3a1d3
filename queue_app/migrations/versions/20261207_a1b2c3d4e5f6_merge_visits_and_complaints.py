"""merge the heads of visits across agencies and complaints/SKM follow-up

Revision ID: a1b2c3d4e5f6
Revises: 8dfc914d37c6, 6197a8b5e1c1
Create Date: 2026-12-07 14:30:00

"""

revision = 'a1b2c3d4e5f6'
down_revision = ('8dfc914d37c6', '6197a8b5e1c1')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
