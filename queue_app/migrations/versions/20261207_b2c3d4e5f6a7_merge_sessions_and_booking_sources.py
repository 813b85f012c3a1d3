"""merge the heads: staff sessions and booking sources with visits, complaints and the SKM follow-up

Revision ID: b2c3d4e5f6a7
Revises: a1b2c3d4e5f6, 3a2c8fe645b2
Create Date: 2026-12-07 15:30:00

"""

revision = 'b2c3d4e5f6a7'
down_revision = ('a1b2c3d4e5f6', '3a2c8fe645b2')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
