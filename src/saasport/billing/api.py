"""Native API v1: wallets, operator adjustments and recorded payments.

Money-moving calls take an `Idempotency-Key` header: the same key and body again return the
first transaction; the same key with another body is refused (409 `idempotency_conflict`).
"""

from __future__ import annotations

from fastapi import APIRouter

from saasport.billing import wallets
from saasport.billing.models import LedgerAccount
from saasport.billing.schemas import (
    AdjustmentIn,
    AlertIn,
    HolderIn,
    PaymentIn,
    TransactionOut,
    WalletOut,
)
from saasport.core.money import Money
from saasport.deps import ApiUser, DbSession, PlatformDep
from saasport.web.errors import errors
from saasport.web.idempotency import IdempotencyKey, idempotent, required_key
from saasport.web.routing import UnitOfWorkRoute

router = APIRouter(prefix="/api/v1", tags=["wallets"], route_class=UnitOfWorkRoute)


async def _wallet_out(db: DbSession, wallet: LedgerAccount) -> WalletOut:
    lines = await wallets.statement(db, wallet)
    balance = Money(wallet.balance, wallet.currency)
    return WalletOut(
        id=wallet.id,
        currency=wallet.currency,
        balance=balance.exact(),
        balance_display=balance.display(),
        alert_below=(
            Money(wallet.alert_below, wallet.currency).exact()
            if wallet.alert_below is not None
            else None
        ),
        transactions=[
            TransactionOut(
                id=line.transaction.id,
                kind=line.transaction.kind,
                memo=line.transaction.memo,
                reference=line.transaction.reference,
                created_at=line.transaction.created_at,
                amount=Money(line.amount, wallet.currency).exact(),
                balance_after=Money(line.balance_after, wallet.currency).exact(),
            )
            for line in lines
        ],
    )


@router.get("/me/wallet", operation_id="getMyWallet", response_model=WalletOut)
async def my_wallet(user: ApiUser, db: DbSession, platform: PlatformDep) -> WalletOut:
    """The caller's wallet: balance and latest movements."""
    wallet = await wallets.wallet_of(
        db,
        wallets.Holder(user_id=user.id),
        currency=platform.settings.currency,
        now=platform.clock(),
    )
    return await _wallet_out(db, wallet)


@router.put(
    "/me/wallet/alert",
    operation_id="setWalletAlert",
    response_model=WalletOut,
    responses=errors(403, 404, 422),
)
async def set_wallet_alert(
    body: AlertIn, user: ApiUser, db: DbSession, platform: PlatformDep
) -> WalletOut:
    """Be told (a notification) when a charge takes the wallet's balance below `threshold`:
    yours, or an enterprise's you administer (its admins are told). null turns it off."""
    currency = platform.settings.currency
    holder = wallets.Holder(user_id=None if body.org_id else user.id, org_id=body.org_id)
    wallet = await wallets.set_alert(
        db,
        user=user,
        holder=holder,
        threshold=Money.parse(body.threshold, currency) if body.threshold is not None else None,
        currency=currency,
        now=platform.clock(),
    )
    return await _wallet_out(db, wallet)


@router.post(
    "/operator/wallets/adjustments",
    operation_id="adjustWallet",
    response_model=WalletOut,
    status_code=201,
    responses=errors(403, 404, 409, 422),
)
@idempotent
async def adjust_wallet(
    body: AdjustmentIn,
    user: ApiUser,
    db: DbSession,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
) -> WalletOut:
    """Operators: credit or debit a user's or an enterprise's wallet, with a reason."""
    holder = _holder(body)
    currency = platform.settings.currency
    await wallets.adjust(
        db,
        operator=user,
        holder=holder,
        direction=body.direction,
        amount=Money.parse(body.amount, currency),
        reason=body.reason,
        idempotency_key=required_key(idempotency_key),
        now=platform.clock(),
    )
    wallet = await wallets.wallet_of(db, holder, currency=currency, now=platform.clock())
    return await _wallet_out(db, wallet)


@router.post(
    "/operator/payments",
    operation_id="recordPayment",
    response_model=WalletOut,
    status_code=201,
    responses=errors(403, 404, 409, 422),
)
async def record_payment(
    body: PaymentIn, user: ApiUser, db: DbSession, platform: PlatformDep
) -> WalletOut:
    """Operators: book a payment confirmed outside (an offline bank transfer) into a wallet,
    once per payment id."""
    holder = _holder(body)
    currency = platform.settings.currency
    await wallets.record_payment(
        db,
        provider=body.provider,
        payment_id=body.payment_id,
        holder=holder,
        amount=Money.parse(body.amount, currency),
        now=platform.clock(),
        recorded_by=user,
    )
    wallet = await wallets.wallet_of(db, holder, currency=currency, now=platform.clock())
    return await _wallet_out(db, wallet)


def _holder(body: HolderIn) -> wallets.Holder:
    return wallets.Holder(user_id=body.user_id, org_id=body.org_id)
