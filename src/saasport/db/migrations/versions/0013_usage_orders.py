"""Usage charges become orders (dimension, month, quantity), orders indexed by time for bills

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 09:24:32.132141
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dimension", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("usage_month", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("quantity_e4", sa.BigInteger(), nullable=True))
        batch_op.create_index(batch_op.f("ix_orders_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_orders_created_at"))
        batch_op.drop_column("quantity_e4")
        batch_op.drop_column("usage_month")
        batch_op.drop_column("dimension")
