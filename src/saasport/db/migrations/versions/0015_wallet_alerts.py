"""Wallets may set a balance below which a charge tells their holder

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 17:25:13.535345
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("alert_below", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ledger_accounts", schema=None) as batch_op:
        batch_op.drop_column("alert_below")
