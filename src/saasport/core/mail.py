"""Sending mail, behind one small interface: the console (default), SMTP, or memory.

The console backend writes each message to the log, so a development set-up needs no mail
server: the verification link appears where the platform's output is. `MemoryMailer` keeps
what was sent, for tests and for the demo.
"""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Protocol

import anyio.to_thread
import structlog


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str


class Mailer(Protocol):
    async def send(self, mail: Mail) -> None: ...


class ConsoleMailer:
    """Logs each message instead of sending it. Its text (with the links in it, which are
    credentials: verification and password-reset tokens) only in dev mode, where the console
    is the developer's mailbox; elsewhere the recipient and subject, as a warning that mail
    is not configured."""

    def __init__(self, *, show_text: bool = False) -> None:
        self._log = structlog.get_logger("saasport.mail")
        self._show_text = show_text

    async def send(self, mail: Mail) -> None:
        if self._show_text:
            self._log.info("mail", to=mail.to, subject=mail.subject, text=mail.text)
        else:
            self._log.warning(
                "mail_not_sent", to=mail.to, subject=mail.subject, hint="configure SMTP"
            )


@dataclass
class MemoryMailer:
    """Keeps every message in `sent` (tests read the links from there)."""

    sent: list[Mail] = field(default_factory=list)

    async def send(self, mail: Mail) -> None:
        self.sent.append(mail)


@dataclass(frozen=True)
class SmtpMailer:
    """Sends through an SMTP server, with STARTTLS unless told otherwise."""

    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    starttls: bool = True
    timeout: float = 20.0

    async def send(self, mail: Mail) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, mail.to, mail.subject
        message.set_content(mail.text)
        await anyio.to_thread.run_sync(self._deliver, message)

    def _deliver(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password)
            smtp.send_message(message)
