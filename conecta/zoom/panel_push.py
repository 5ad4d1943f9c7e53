"""The Zoom panel's push: a job that changed what a panel shows says so on a Redis channel, and a pending
panel's request waits on that channel and answers the moment it hears.

A bounded long-poll, not a stream. A pending panel asks `GET …/zoom?wait=1`; the view subscribes to the
appointment's channel *before* it reads the appointment (so nothing published in between is missed),
and if the panel is still pending it waits -- holding no database connection -- until a message or
ZOOM_PANEL_WAIT_SECONDS, then answers with the panel as it is. While still pending, the fragment asks
again. So a page holds a web thread only while its panel is pending, and never longer than one wait.

Each web process lets at most ZOOM_PANEL_WAIT_SLOTS requests wait at once, so waiting panels never take
every thread (docs/operating.md, "Capacity"). A panel that finds no free slot, or Redis unreachable, answers at
once and re-fetches itself after a short delay instead: the polling fallback. Publishing is best effort:
a lost message only delays the panel to the end of its wait.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from flask import current_app
from redis.client import PubSub
from redis.exceptions import RedisError

from conecta import jobs

log = logging.getLogger("conecta.zoom.panel")


def channel(appointment_id: int) -> str:
    return jobs.redis_key("zoom-panel", appointment_id)


def publish(appointment_id: int) -> None:
    """Tell every panel waiting on the appointment to look again (after the change committed)."""
    try:
        jobs.redis_conn().publish(channel(appointment_id), "changed")
    except RedisError as exc:
        log.warning("zoom panel push for appointment %s not sent: %s", appointment_id, type(exc).__name__)


class Listener:
    """A subscription to one appointment's channel, held for the length of one request."""

    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    def wait(self, seconds: float) -> bool:
        """Block until something is published (True) or `seconds` pass (False)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                if self._pubsub.get_message(ignore_subscribe_messages=True, timeout=left) is not None:
                    return True
            except RedisError:
                return False  # the panel answers as it is, and asks again
        return False


def _slots() -> threading.BoundedSemaphore:
    """This process's waiting places (one app per process; tests build several, each its own)."""
    slots = current_app.extensions.get("zoom_panel_slots")
    if slots is None:
        slots = threading.BoundedSemaphore(max(0, int(current_app.config["ZOOM_PANEL_WAIT_SLOTS"])))
        slots = current_app.extensions.setdefault("zoom_panel_slots", slots)
    return slots


@contextmanager
def listening(appointment_id: int) -> Iterator[Listener | None]:
    """Subscribed to the appointment's channel for the block; None when push is unavailable (no free
    waiting slot in this process, or Redis unreachable) and the panel should poll instead."""
    slots = _slots()
    if not slots.acquire(blocking=False):
        yield None
        return
    pubsub = None
    try:
        listener: Listener | None = None
        try:
            pubsub = jobs.redis_conn().pubsub()
            pubsub.subscribe(channel(appointment_id))
            listener = Listener(pubsub)
        except RedisError as exc:
            log.warning("zoom panel push unavailable (%s): the panel polls", type(exc).__name__)
        yield listener
    finally:
        if pubsub is not None:
            with suppress(RedisError):
                pubsub.close()
        slots.release()


def wait_seconds() -> float:
    return float(current_app.config["ZOOM_PANEL_WAIT_SECONDS"])
