"""The delivery loop: `jobtinder worker` (its own process), or a background task of the API
process (`MAIL_WORKER_IN_PROCESS`, on by default on SQLite and in development)."""

import asyncio
import logging
import threading

from fastapi import FastAPI

from app.config import get_settings
from app.services.outbox import DeliveryReport, deliver_due
from app.services.push import deliver_push_due

log = logging.getLogger("jobtinder.mail")
TASK_STATE_KEY = "mail_worker_task"


def _one_round() -> DeliveryReport:
    """One batch of mail, then one of Web Push (the same outbox machinery)."""
    report = DeliveryReport()
    try:
        report.add(deliver_due())
    except Exception:  # the database is down, ...: log, wait, try again
        log.exception("mail delivery round failed")
    try:
        report.add(deliver_push_due())
    except Exception:
        log.exception("push delivery round failed")
    return report


def run_forever(stop: threading.Event) -> None:
    """Deliver until `stop` is set; a full batch goes on at once, an idle one waits."""
    poll = get_settings().mail_poll_seconds
    while not stop.is_set():
        report = _one_round()
        if report.handled == 0 or report.errors:
            stop.wait(poll)


async def _background(poll: float) -> None:
    # Each round is blocking work (database, smtplib): in a thread, never on the event loop.
    while True:
        report = await asyncio.to_thread(_one_round)
        if report.handled == 0 or report.errors:
            await asyncio.sleep(poll)


async def start_in_process(app: FastAPI) -> None:
    if not get_settings().runs_mail_worker_in_process:
        return
    task = asyncio.create_task(_background(get_settings().mail_poll_seconds), name="mail")
    setattr(app.state, TASK_STATE_KEY, task)


async def stop_in_process(app: FastAPI) -> None:
    task: asyncio.Task[None] | None = getattr(app.state, TASK_STATE_KEY, None)
    if task is None:
        return
    setattr(app.state, TASK_STATE_KEY, None)
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
