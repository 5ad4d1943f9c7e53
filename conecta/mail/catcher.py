"""A development mail catcher: a small SMTP server (aiosmtpd) that keeps every message it receives.

Each message lands as one `.eml` file in the mailbox folder (`instance/mailbox/` unless
MAIL_CATCHER_DIR says otherwise), which the Dev mailbox page (`/dev/mailbox`) lists and shows.
Run it with `flask --app wsgi mail-catcher --port 8025`; `scripts/run` starts it for the demo.
"""

from __future__ import annotations

import email
import email.policy
import logging
import os
import re
import signal
import threading
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from flask import Flask, current_app

log = logging.getLogger(__name__)
FILENAME = re.compile(r"^\d{8}T\d{6}\d{6}Z-[0-9a-f]{32}\.eml$")


def mailbox_dir(app: Flask | None = None) -> Path:
    app = app or current_app
    configured = app.config.get("MAIL_CATCHER_DIR")
    return Path(configured) if configured else Path(app.instance_path) / "mailbox"


class MailboxHandler:
    """aiosmtpd handler: write the message, with its envelope recipients, to `directory` atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        name = f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{uuid.uuid4().hex}.eml"
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode()
        # The envelope says who it was really sent to (Bcc included), as real mailboxes record it.
        header = "".join(f"X-Envelope-To: {rcpt}\r\n" for rcpt in envelope.rcpt_tos).encode()
        tmp = self.directory / f".{name}.tmp"
        tmp.write_bytes(header + content)
        os.replace(tmp, self.directory / name)
        log.info("caught mail for %s → %s", ", ".join(envelope.rcpt_tos), name)
        return "250 Message accepted for delivery"


def run_catcher(host: str, port: int, directory: Path) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM from the process manager)."""
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
    controller = Controller(MailboxHandler(directory), hostname=host, port=port)
    controller.start()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(f"Mail catcher listening on {host}:{port}, saving to {directory}", flush=True)
    try:
        stop.wait()
    finally:
        controller.stop()


# --- reading the mailbox (the Dev mailbox page) ------------------------------------------------


@dataclass(frozen=True)
class Attachment:
    index: int
    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class CaughtMessage:
    name: str
    received_at: datetime
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def sender(self) -> str:
        return str(self.message.get("From", ""))

    @property
    def to(self) -> str:
        return str(self.message.get("To", ""))

    def body(self, subtype: str) -> str | None:
        part = self.message.get_body(preferencelist=(subtype,))
        return part.get_content() if part is not None else None

    def attachments(self) -> list[Attachment]:
        found = []
        for index, part in enumerate(self.message.iter_attachments()):
            payload = part.get_payload(decode=True) or b""
            found.append(
                Attachment(
                    index, part.get_filename() or f"part-{index}", part.get_content_type(), len(payload)
                )
            )
        return found

    def attachment(self, index: int) -> tuple[Attachment, bytes] | None:
        for position, part in enumerate(self.message.iter_attachments()):
            if position == index:
                payload = part.get_payload(decode=True) or b""
                meta = Attachment(
                    index, part.get_filename() or f"part-{index}", part.get_content_type(), len(payload)
                )
                return meta, payload
        return None


def _received_at(name: str) -> datetime:
    return datetime.strptime(name.split("-", 1)[0], "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)


def read_message(directory: Path, name: str) -> CaughtMessage | None:
    """One caught message by file name; None for anything that is not a mailbox file (no traversal)."""
    if not FILENAME.match(name):
        return None
    path = directory / name
    if not path.is_file():
        return None
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return CaughtMessage(name, _received_at(name), parsed)  # type: ignore[arg-type]


def list_messages(directory: Path, limit: int = 200) -> list[CaughtMessage]:
    """Newest first."""
    if not directory.is_dir():
        return []
    names = sorted((p.name for p in directory.iterdir() if FILENAME.match(p.name)), reverse=True)
    return [m for m in (read_message(directory, n) for n in names[:limit]) if m is not None]
