"""The `jobtinder` console script: migrate, serve, worker, vapid-keys, create-user, seed, tick,
purge."""

import argparse
import os
import sys
from pathlib import Path

from app.models import Role

REPO_ROOT = Path(__file__).resolve().parent.parent


def alembic_config() -> "object":
    from alembic.config import Config

    for candidate in (Path.cwd() / "alembic.ini", REPO_ROOT / "alembic.ini"):
        if candidate.exists():
            return Config(str(candidate))
    raise SystemExit("alembic.ini not found: run from the project directory")


def migrate() -> None:
    """Bring the database schema up to date."""
    from alembic import command

    command.upgrade(alembic_config(), "head")  # type: ignore[arg-type]


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from app.config import get_settings

    if args.migrate:
        migrate()
    uvicorn.run(
        "app.main:app",
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=get_settings().log_level,
        proxy_headers=True,
    )


def _worker(args: argparse.Namespace) -> None:
    import logging
    import signal
    import threading

    from app.config import get_settings
    from app.mail.worker import run_forever
    from app.services.outbox import deliver_all
    from app.services.push import deliver_all_push

    logging.basicConfig(level=get_settings().log_level.upper())
    if args.once:
        report = deliver_all()
        print(
            f"sent {report.sent} mail(s), {report.retried} to retry, {report.failed} failed, "
            f"{report.deferred} deferred to tomorrow's digest, {report.skipped} skipped"
        )
        pushes = deliver_all_push()
        print(
            f"sent {pushes.sent} push(es), {pushes.retried} to retry, {pushes.failed} failed, "
            f"{pushes.skipped} to gone subscriptions"
        )
        return
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    where = get_settings().smtp_host or f"the folder {get_settings().mail_dir}"
    print(f"delivering mail to {where} (stop with Ctrl-C)", flush=True)
    run_forever(stop)


def _vapid_keys() -> None:
    from app.services.push import generate_vapid_keys

    private, public = generate_vapid_keys()
    print("# Web Push (VAPID) keys: put the private one in the environment, never in code")
    print(f"VAPID_PRIVATE_KEY={private}")
    print(f"# public key (also served by GET /api/v1/push/public-key): {public}")


def _create_user(args: argparse.Namespace) -> None:
    from app.db import new_session
    from app.errors import AppError
    from app.security import hash_password
    from app.services.accounts import create_user
    from app.vocabulary import get_vocabulary

    role = Role(args.role)
    unknown = set(args.region or []) - get_vocabulary().region_codes
    if unknown:
        raise SystemExit(f"unknown region(s): {', '.join(sorted(unknown))}")
    if role == Role.coordinator and not args.region:
        raise SystemExit("a coordinator needs at least one --region")
    if len(args.password) < 10:
        raise SystemExit("the password needs at least 10 characters")
    with new_session(write=True) as session:
        try:
            user = create_user(
                session=session,
                email=args.email,
                password_hash=hash_password(args.password),
                name=args.name,
                role=role,
                regions=args.region if role == Role.coordinator else None,
            )
        except AppError as exc:
            raise SystemExit(exc.detail) from None
    print(f"created {role.value} {user.email} (id {user.id})")


def _seed(args: argparse.Namespace) -> None:
    from app.seed import seed_participants

    count = seed_participants(args.participants, seed=args.seed)
    print(f"seeded {count} participants (password for every demo account: see README)")


def _tick() -> None:
    from app.db import new_session
    from app.services.congestion import compute_prices
    from app.services.time_events import tick

    with new_session(write=True) as session:
        result = tick(session=session)
    print(f"completed {result.completed} match(es), sent {result.notified} notification(s)")
    with new_session() as session:  # reads, computes, then takes the write lock to store
        prices = compute_prices(session=session)
    print(
        f"stored congestion prices for {prices.teachers} teacher(s) and "
        f"{prices.professionals} professional(s) ({prices.pairs} possible pairs, "
        f"{prices.sweeps} sweep(s))"
    )


def _purge(args: argparse.Namespace) -> None:
    from app.config import get_settings
    from app.db import new_session
    from app.services.retention import purge

    days = args.days or get_settings().retention_days
    with new_session(write=True) as session:
        report = purge(session=session, days=days)
    print(f"{report.events} live event(s) older than EVENTS_KEEP_DAYS removed")
    print(
        f"retention {days} days: {report.trajectories} trajectory(ies) stripped, "
        f"{report.accounts} inactive account(s) erased, {report.notifications} notification(s), "
        f"{report.refresh_tokens} expired refresh token(s), {report.sessions} ended session(s), "
        f"{report.account_tokens} expired mail token(s), "
        f"{report.rate_limit_counters} rate-limit counter(s), "
        f"{report.daily_like_counts} past day(s) like count(s), "
        f"{report.reports} resolved report(s), "
        f"{report.orphan_photos} orphaned photo image(s), "
        f"{report.mails} handled mail(s) removed"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="jobtinder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate", help="bring the database schema up to date (Alembic)")

    serve = sub.add_parser("serve", help="run the API (uvicorn)")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "1")))
    serve.add_argument("--migrate", action="store_true", help="migrate before serving")

    worker = sub.add_parser(
        "worker", help="deliver the mail outbox (SMTP, or MAIL_DIR without SMTP_HOST)"
    )
    worker.add_argument(
        "--once", action="store_true", help="deliver what is due now, then stop (e.g. cron)"
    )

    sub.add_parser("vapid-keys", help="generate a VAPID key pair for Web Push")

    user = sub.add_parser("create-user", help="create a coordinator or admin")
    user.add_argument("--email", required=True)
    user.add_argument("--password", required=True)
    user.add_argument("--name", required=True)
    user.add_argument("--role", required=True, choices=["coordinator", "admin"])
    user.add_argument("--region", action="append", help="a region code (repeatable)")

    seed = sub.add_parser("seed", help="create realistic demo participants")
    seed.add_argument("--participants", type=int, default=200)
    seed.add_argument("--seed", type=int, default=2016, help="random seed (same seed, same data)")

    sub.add_parser(
        "tick",
        help="store completions, send due reminders and recompute the deck's congestion "
        "prices (idempotent; e.g. hourly cron)",
    )

    purge = sub.add_parser(
        "purge", help="apply the retention period (RETENTION_DAYS): idempotent, e.g. nightly"
    )
    purge.add_argument("--days", type=int, default=None, help="override RETENTION_DAYS")

    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate()
        print("database is up to date")
    elif args.command == "serve":
        _serve(args)
    elif args.command == "worker":
        _worker(args)
    elif args.command == "vapid-keys":
        _vapid_keys()
    elif args.command == "create-user":
        _create_user(args)
    elif args.command == "seed":
        _seed(args)
    elif args.command == "tick":
        _tick()
    elif args.command == "purge":
        _purge(args)


if __name__ == "__main__":
    main(sys.argv[1:])
