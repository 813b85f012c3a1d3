"""merge the heads: who is on duty (counter presence, a closed day's bookings) with the rest

Revision ID: c3d4e5f6a7b8
Revises: b2c3d4e5f6a7, cb52e818d424
Create Date: 2026-12-07 16:30:00

"""

revision = 'c3d4e5f6a7b8'
down_revision = ('b2c3d4e5f6a7', 'cb52e818d424')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
