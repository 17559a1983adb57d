"""Account inputs (one definition for the API and the pages) and the native API's answers."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Literal

from email_validator import EmailNotValidError, validate_email
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from saasport.core.inputs import Line, Secret
from saasport.core.messages import N_, Msg

USERNAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{2,31}$")
PHONE_RE = re.compile(r"^\+?[0-9]{6,15}$")
PASSWORD_MIN, PASSWORD_MAX = 8, 128
IDENTIFIER_MAX = 254


def _username(value: str) -> str:
    if not USERNAME_RE.fullmatch(value):
        raise ValueError(N_("3–32 letters, digits, '_', '.', '-'; start with a letter."))
    return value


def _email(value: str) -> str:
    if not value:
        return value
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValueError(N_("Enter a valid email address.")) from None


def _phone(value: str) -> str:
    value = value.replace(" ", "")
    if value and not PHONE_RE.fullmatch(value):
        raise ValueError(N_("Enter a phone number of 6–15 digits."))
    return value


def _password(value: str) -> str:
    if not PASSWORD_MIN <= len(value) <= PASSWORD_MAX:
        raise ValueError(
            Msg("Use %(min)d to %(max)d characters.", min=PASSWORD_MIN, max=PASSWORD_MAX)
        )
    return value


Username = Annotated[Line, Field(max_length=32), AfterValidator(_username)]
Email = Annotated[Line, Field(max_length=254), AfterValidator(_email)]
Phone = Annotated[Line, Field(max_length=32), AfterValidator(_phone)]
NewPassword = Annotated[Secret, Field(max_length=PASSWORD_MAX), AfterValidator(_password)]
Password = Annotated[Secret, Field(max_length=256)]  # what is typed to sign in: just bounded


class RegisterIn(BaseModel):
    username: Username
    password: NewPassword
    email: Email = ""
    phone: Phone = ""
    display_name: Annotated[Line, Field(max_length=64)] = ""


class LoginIn(BaseModel):
    identifier: Annotated[Line, Field(max_length=IDENTIFIER_MAX)] = Field(
        description="User name, email or phone."
    )
    password: Password


class PasswordChangeIn(BaseModel):
    current_password: Password
    new_password: NewPassword


class ApiTokenIn(BaseModel):
    name: Annotated[Line, Field(min_length=1, max_length=64)]
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


OrgRoleName = Literal["admin", "member"]


class OrgIn(BaseModel):
    name: Annotated[Line, Field(min_length=2, max_length=100)]


class MemberIn(BaseModel):
    username: Annotated[Line, Field(min_length=1, max_length=32)]
    role: OrgRoleName = "member"


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    username: str
    display_name: str
    email: str | None
    email_verified: bool
    phone: str | None
    is_merchant: bool
    is_operator: bool
    created_at: datetime


class TokenOut(BaseModel):
    token: str = Field(description="Shown once; send as `Authorization: Bearer <token>`.")
    token_type: str = "Bearer"
    expires_at: datetime | None


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


class OrgOut(BaseModel):
    id: uuid.UUID
    name: str
    role: OrgRoleName


class MemberOut(BaseModel):
    user_id: uuid.UUID
    username: str
    display_name: str
    role: OrgRoleName
    status: Literal["invited", "active"] = Field(
        description="`invited` until the user accepts, then `active`."
    )
