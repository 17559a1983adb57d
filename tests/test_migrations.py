"""The migrations build exactly the models' schema, and go down and up again."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from saasport.accounts.models import User
from saasport.catalog.models import Listing, Plan
from saasport.commerce.models import Entitlement, Order, Subscription
from saasport.config import Settings
from saasport.db.migrate import downgrade, upgrade
from saasport.db.models import Base


def test_models_match_migrations_and_round_trip(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="k" * 40)
    upgrade(settings)
    engine = create_engine(f"sqlite:///{tmp_path / 'saasport.db'}")
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    downgrade(settings, "base")
    upgrade(settings)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


def test_the_foundations_free_trials_become_subscriptions_of_a_free_plan(tmp_path: Path) -> None:
    """0017: a trial entitlement of the foundation becomes a subscription of the listing's
    free plan (an archived one where the listing is sold by plans), with its zero order."""
    settings = Settings(data_dir=tmp_path, secret_key="k" * 40)
    upgrade(settings, "0016")
    engine = create_engine(f"sqlite:///{tmp_path / 'saasport.db'}")
    now = datetime.now(UTC)
    with Session(engine) as db:
        owner = User(username="isv", display_name="ISV", password_hash="x", is_merchant=True)
        buyer = User(username="buyer", display_name="Buyer", password_hash="x")
        db.add_all([owner, buyer])
        db.flush()

        def listing(app_id: str) -> Listing:
            found = Listing(
                owner_id=owner.id,
                app_id=app_id,
                secret_encrypted="x",
                secret_digest=b"x" * 32,
                secret_rotated_at=now,
                name=app_id,
                state="published",
            )
            db.add(found)
            db.flush()
            return found

        free, sold, untaken = listing("free-app"), listing("sold-app"), listing("untaken")
        monthly = Plan(listing_id=sold.id, code="m", name="M", kind="periodic", created_at=now)
        db.add(monthly)
        for taken in (free, sold):
            db.add(
                Entitlement(
                    listing_id=taken.id,
                    holder=f"user:{buyer.id}",
                    user_id=buyer.id,
                    kind="trial",
                    granted_by_id=buyer.id,
                    created_at=now,
                )
            )
        db.commit()
        free_id, sold_id, untaken_id = free.id, sold.id, untaken.id
    upgrade(settings)
    with Session(engine) as db:
        offers = {
            p.listing_id: p for p in db.scalars(select(Plan).where(Plan.kind == "free")).all()
        }
        assert offers[free_id].archived_at is None and offers[untaken_id].archived_at is None
        assert offers[sold_id].archived_at is not None  # its holder keeps it; nobody new
        held = db.scalars(select(Subscription).order_by(Subscription.listing_id)).all()
        assert {(s.listing_id, s.plan_id, s.state, s.period_end) for s in held} == {
            (free_id, offers[free_id].id, "active", None),
            (sold_id, offers[sold_id].id, "active", None),
        }
        orders = db.scalars(select(Order)).all()
        assert sorted((o.kind, o.amount) for o in orders) == [("purchase", 0)] * 2
        assert {e.kind for e in db.scalars(select(Entitlement))} == {"free"}
    downgrade(settings, "0016")
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(Subscription)) == 0
        assert {e.kind for e in db.scalars(select(Entitlement))} == {"trial"}
    engine.dispose()
