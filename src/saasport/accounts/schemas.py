"""Native API shapes for accounts."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class RegisterIn(BaseModel):
    username: str = Field(max_length=64)
    password: str = Field(max_length=256)
    email: str = Field(default="", max_length=254)
    phone: str = Field(default="", max_length=32)
    display_name: str = Field(default="", max_length=128)


class LoginIn(BaseModel):
    identifier: str = Field(max_length=254, description="User name, email or phone.")
    password: str = Field(max_length=256)


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    display_name: str
    email: str | None
    phone: str | None
    is_merchant: bool
    is_operator: bool
    created_at: datetime


class TokenOut(BaseModel):
    token: str = Field(description="Shown once; send as `Authorization: Bearer <token>`.")
    token_type: str = "Bearer"
    expires_at: datetime | None


class ApiTokenIn(BaseModel):
    name: str = Field(max_length=64)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class ApiTokenOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


class ApiTokenCreated(ApiTokenOut):
    token: str


class PasswordChangeIn(BaseModel):
    current_password: str = Field(max_length=256)
    new_password: str = Field(max_length=256)


class OrgIn(BaseModel):
    name: str = Field(max_length=200)


class OrgOut(BaseModel):
    id: uuid.UUID
    name: str
    role: str


class MemberIn(BaseModel):
    username: str = Field(max_length=64)
    role: str = "member"


class MemberOut(BaseModel):
    user_id: uuid.UUID
    username: str
    display_name: str
    role: str
    status: str = Field(description="`invited` until the user accepts, then `active`.")
