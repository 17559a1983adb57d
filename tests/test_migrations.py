"""The migrations build exactly the models' schema, and go down and up again."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

from saasport.accounts.models import User
from saasport.catalog.models import Plan
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
    free plan (an archived one where the listing is not identity-only), with its zero order;
    down and up again with the data in place."""
    settings = Settings(data_dir=tmp_path, secret_key="k" * 40)
    upgrade(settings, "0016")
    engine = create_engine(f"sqlite:///{tmp_path / 'saasport.db'}")
    now = datetime.now(UTC)
    with Session(engine) as db:
        owner = User(username="isv", display_name="ISV", password_hash="x", is_merchant=True)
        buyer = User(username="buyer", display_name="Buyer", password_hash="x")
        db.add_all([owner, buyer])
        db.flush()

        def listing(app_id: str, mode: int = 1) -> uuid.UUID:
            """A listing row as the schema at 0016 has it (the model has more columns now)."""
            made = uuid.uuid4()
            db.execute(
                text(
                    "INSERT INTO listings (id, owner_id, app_id, secret_encrypted, secret_digest,"
                    " secret_rotated_at, name, summary, description_md, category, website,"
                    " guide_md, guide_url, terms_md, terms_url, entry_url, demo_url,"
                    " integration_mode, dialect, permissions, redirect_uris,"
                    " post_logout_redirect_uris, backchannel_logout_uri, isv_key_derivation,"
                    " state, created_at, updated_at) VALUES (:id, :owner, :app_id, 'x', :digest,"
                    " :now, :app_id, '', '', 'other', '', '', '', '', '', '', '', :mode,"
                    " 'native', '[]', '[]', '[]', '', 'raw', 'published', :now, :now)"
                ),
                {
                    "id": made.hex,
                    "owner": owner.id.hex,
                    "app_id": app_id,
                    "digest": b"x" * 32,
                    "now": now.replace(tzinfo=None),
                    "mode": mode,
                },
            )
            return made

        free, untaken, sold = listing("free-app"), listing("untaken"), listing("sold", 2)
        unpriced, unpriced_taken = listing("unpriced", 2), listing("unpriced-taken", 2)
        # A plan already coded "free" (a trial): the free plan takes another code.
        db.add(Plan(listing_id=sold, code="free", name="T", kind="trial", trial_days=3,
                    created_at=now))  # fmt: skip
        for taken, revoked in ((free, None), (sold, None), (unpriced_taken, now)):
            db.add(
                Entitlement(
                    listing_id=taken,
                    holder=f"user:{buyer.id}",
                    user_id=buyer.id,
                    kind="trial",
                    granted_by_id=buyer.id,
                    created_at=now,
                    revoked_at=revoked,
                )
            )
        db.commit()

    def check() -> None:
        with Session(engine) as db:
            offers = {p.listing_id: p for p in db.scalars(select(Plan).where(Plan.kind == "free"))}
            assert set(offers) == {free, untaken, sold, unpriced_taken}
            assert unpriced not in offers  # sold by plans, none yet: nothing given away
            assert offers[free].archived_at is None and offers[untaken].archived_at is None
            assert offers[sold].archived_at is not None  # its holder keeps it; nobody new
            assert offers[sold].code == "free-2"
            held = db.scalars(select(Subscription)).all()
            assert {(s.listing_id, s.plan_id, s.state, s.period_end) for s in held} == {
                (free, offers[free].id, "active", None),
                (sold, offers[sold].id, "active", None),
                (unpriced_taken, offers[unpriced_taken].id, "expired", None),
            }
            orders = db.scalars(select(Order)).all()
            assert sorted((o.kind, o.amount) for o in orders) == [("purchase", 0)] * 3
            assert {e.kind for e in db.scalars(select(Entitlement))} == {"free"}

    upgrade(settings)
    check()
    downgrade(settings, "0016")
    with Session(engine) as db:
        assert db.scalar(select(func.count()).select_from(Subscription)) == 0
        assert db.scalar(select(func.count()).select_from(Plan).where(Plan.kind == "free")) == 0
        assert {e.kind for e in db.scalars(select(Entitlement))} == {"trial"}
    upgrade(settings)
    check()
    engine.dispose()
