"""Commands of the Redis fleet (the ``[redis]`` extra), a thin layer over :mod:`.fleet`.

    python -m <package> worker --redis-url redis://queue:6379/0 [--endpoint URL]
    python -m <package> stats --redis-url URL [--json]
    python -m <package> dead-letters --redis-url URL [--requeue [ID ...]] [--json]
    python -m <package> queue-secret

``--redis-url`` defaults to ``$SEGMENT_REDIS_URL`` (which keeps a password off the
command line); ``worker`` needs ``SEGMENT_QUEUE_SECRET``, the other commands do not.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from . import spec

COMMANDS = ("worker", "stats", "dead-letters", "queue-secret")
_EXTRA = f"pip install '{spec.INTEGRATION_SLUG}-source[redis]'"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one fleet command; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    missing = [name for name in ("redis", "cryptography") if importlib.util.find_spec(name) is None]
    if missing:
        print(
            f"error: `{args.command}` needs the [redis] extra ({', '.join(missing)} missing): {_EXTRA}", file=sys.stderr
        )
        return 1
    if args.command != "queue-secret" and not args.redis_url:
        parser.error("no Redis URL: pass --redis-url or set SEGMENT_REDIS_URL")
    from redis import exceptions as rx

    from .errors import SourceError

    try:
        return int(_COMMANDS[args.command](args))
    except (SourceError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except rx.RedisError as exc:
        from ._redis_layout import redacted

        print(f"error: Redis at {redacted(args.redis_url)} failed: {type(exc).__name__}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=f"python -m {__package__}", description="Send events through Redis at scale.")
    commands = parser.add_subparsers(dest="command", required=True)
    url = argparse.ArgumentParser(add_help=False)
    url.add_argument("--redis-url", default=os.environ.get("SEGMENT_REDIS_URL"), help="default: $SEGMENT_REDIS_URL")

    worker = commands.add_parser("worker", parents=[url], help="send queued events (run as many as you like)")
    worker.add_argument("--endpoint", help="HTTP API base URL for every region (default: the region's host)")
    worker.add_argument(
        "--requests-per-second",
        type=int,
        default=spec.PARTNER_REQUESTS_PER_SECOND,
        help="ceiling for the whole fleet; give every worker the same (default: %(default)s)",
    )
    worker.add_argument("--threads", type=int, default=8, help="sending threads (default: %(default)s)")
    worker.add_argument("--flush-interval", type=float, default=0.5, help="longest wait of a batch that is not full")
    worker.add_argument(
        "--visibility-timeout",
        type=float,
        default=30.0,
        help="seconds before a silent worker's leases and unacknowledged events go to others",
    )
    worker.add_argument("--max-held-events", type=int, default=20_000, help="events one worker holds at most")
    worker.add_argument("--drain-timeout", type=float, default=30.0, help="seconds to deliver held events at exit")
    worker.add_argument("--name", help="worker name in stats (default: host-pid-random)")

    stats = commands.add_parser("stats", parents=[url], help="counters of the whole fleet")
    stats.add_argument("--json", action="store_true", help="print JSON")

    dead = commands.add_parser("dead-letters", parents=[url], help="list (or requeue) dead-lettered batches")
    dead.add_argument("--requeue", nargs="*", metavar="ID", help="requeue these dead letters (all when no ID is given)")
    dead.add_argument("--limit", type=int, default=1000, help="list at most this many (default: %(default)s)")
    dead.add_argument("--json", action="store_true", help="print JSON, one dead letter a line, with messageIds")

    commands.add_parser("queue-secret", help="print a new SEGMENT_QUEUE_SECRET")
    return parser


def _worker(args: argparse.Namespace) -> int:
    from .fleet import QueueWorker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    worker = QueueWorker(
        args.redis_url,
        endpoint=args.endpoint,
        requests_per_second=args.requests_per_second,
        threads=args.threads,
        flush_interval=args.flush_interval,
        visibility_timeout=args.visibility_timeout,
        max_held_events=args.max_held_events,
        name=args.name,
    )
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    worker.run(stop, drain_timeout=args.drain_timeout)
    return 0


def _stats(args: argparse.Namespace) -> int:
    from .fleet import fleet_stats

    stats = fleet_stats(args.redis_url)
    if args.json:
        print(json.dumps(dataclasses.asdict(stats), default=str))
        return 0
    print(
        f"queued {stats.queued} (in flight {stats.in_flight}), sent {stats.sent}, dead-lettered "
        f"{stats.dead_lettered} ({stats.dead_letter_batches} batches waiting), requests {stats.requests} "
        f"(retried {stats.retried}), reclaimed {stats.reclaimed}, {stats.shards} shards"
    )
    print(
        f"{'worker':<36} {'alive':<5} {'seen':>6} {'shards':>6} {'in flight':>9} {'sent':>9} {'dead':>6} "
        f"{'requests':>8} {'retried':>7} {'reclaimed':>9}"
    )
    for w in stats.workers:
        print(
            f"{w.name[:36]:<36} {'yes' if w.alive else 'no':<5} {w.seen_seconds_ago:>5.0f}s {w.shards:>6} "
            f"{w.in_flight:>9} {w.sent:>9} {w.dead_lettered:>6} {w.requests:>8} {w.retried:>7} {w.reclaimed:>9}"
        )
    return 0


def _dead_letters(args: argparse.Namespace) -> int:
    from .fleet import dead_letters, requeue_dead_letters

    if args.requeue is not None:
        moved = requeue_dead_letters(args.redis_url, args.requeue or None)
        print(f"requeued {moved} events")
        return 0
    letters = dead_letters(args.redis_url, limit=args.limit)
    for dead in letters:
        if args.json:
            row: dict[str, Any] = {k: v for k, v in dataclasses.asdict(dead).items() if k != "events"}
            print(json.dumps({**row, "message_ids": dead.message_ids}, default=str))
        else:
            print(
                f"{dead.id}  {dead.at:%Y-%m-%d %H:%M:%S}Z  customer {dead.customer} ({dead.region})  "
                f"{len(dead.events)} events  status {dead.status or '-'}  {dead.reason}"
            )
    if not args.json:
        print(f"{len(letters)} dead-lettered batches" + (" (limit reached)" if len(letters) == args.limit else ""))
    return 0


def _queue_secret(args: argparse.Namespace) -> int:
    from .fleet import new_secret

    print(new_secret())
    return 0


_COMMANDS = {"worker": _worker, "stats": _stats, "dead-letters": _dead_letters, "queue-secret": _queue_secret}
