"""The delivery workers' queries over pending outbox events only (partial indexes)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PENDING = sa.text("state = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_events_pending")
        batch_op.create_index(
            "ix_outbox_events_pending_order",
            ["created_at", "seq"],
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )
        batch_op.create_index(
            "ix_outbox_events_pending_subject",
            ["subject", "seq"],
            postgresql_where=PENDING,
            sqlite_where=PENDING,
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox_events", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_events_pending_subject")
        batch_op.drop_index("ix_outbox_events_pending_order")
        batch_op.create_index("ix_outbox_events_pending", ["state", "next_attempt_at"])
