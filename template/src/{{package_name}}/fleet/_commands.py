"""The Redis fleet's commands (``worker``, ``stats``, ``dead-letters``, ``queue-secret``) over :mod:`.fleet`.

    <command> worker --redis-url redis://queue:6379/0 [--endpoint URL]
    <command> stats --redis-url URL [--json]
    <command> dead-letters --redis-url URL [--requeue [ID ...]] [--json]
    <command> queue-secret

``--redis-url`` defaults to ``$SEGMENT_REDIS_URL`` (which keeps a password off the
command line); ``worker`` needs ``SEGMENT_QUEUE_SECRET``, the other commands do not.
Registered in :data:`..cli.COMMANDS`, which checks the ``[redis]`` extra first.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

from redis import exceptions as rx

from .. import spec
from ..errors import SourceError
from . import QueueWorker, fleet_stats, new_secret, requeue_dead_letters
from . import dead_letters as list_dead_letters
from ._layout import redacted


def _parser(prog: str | None, description: str, *, url: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    if url:
        parser.add_argument(
            "--redis-url", default=os.environ.get("SEGMENT_REDIS_URL"), help="default: $SEGMENT_REDIS_URL"
        )
    return parser


def _run(parser: argparse.ArgumentParser, argv: Sequence[str], body: Callable[[argparse.Namespace], int]) -> int:
    args = parser.parse_args(argv)
    if "redis_url" in args and not args.redis_url:
        parser.error("no Redis URL: pass --redis-url or set SEGMENT_REDIS_URL")
    try:
        return body(args)
    except (SourceError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except rx.RedisError as exc:
        print(f"error: Redis at {redacted(args.redis_url)} failed: {type(exc).__name__}", file=sys.stderr)
        return 1


def worker(argv: Sequence[str], prog: str | None = None) -> int:
    """Send queued events until SIGTERM or Ctrl-C (run as many as you like)."""
    parser = _parser(prog, "Send queued events from Redis to Segment (run as many as you like).")
    parser.add_argument("--endpoint", help="HTTP API base URL for every region (default: the region's host)")
    parser.add_argument(
        "--requests-per-second",
        type=int,
        default=spec.PARTNER_REQUESTS_PER_SECOND,
        help="ceiling for the whole fleet; give every worker the same (default: %(default)s)",
    )
    parser.add_argument("--threads", type=int, default=8, help="sending threads (default: %(default)s)")
    parser.add_argument("--flush-interval", type=float, default=0.5, help="longest wait of a batch that is not full")
    parser.add_argument(
        "--visibility-timeout",
        type=float,
        default=30.0,
        help="seconds before a silent worker's leases and unacknowledged events go to others",
    )
    parser.add_argument("--max-held-events", type=int, default=20_000, help="events one worker holds at most")
    parser.add_argument("--drain-timeout", type=float, default=30.0, help="seconds to deliver held events at exit")
    parser.add_argument("--name", help="worker name in stats (default: host-pid-random)")
    return _run(parser, argv, _worker)


def _worker(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    queue_worker = QueueWorker(
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
    queue_worker.run(stop, drain_timeout=args.drain_timeout)
    return 0


def stats(argv: Sequence[str], prog: str | None = None) -> int:
    """Print the counters of the whole fleet."""
    parser = _parser(prog, "Counters of the whole Redis fleet and of each worker.")
    parser.add_argument("--json", action="store_true", help="print JSON")
    return _run(parser, argv, _stats)


def _stats(args: argparse.Namespace) -> int:
    counters = fleet_stats(args.redis_url)
    if args.json:
        print(json.dumps(dataclasses.asdict(counters), default=str))
        return 0
    print(
        f"queued {counters.queued} (in flight {counters.in_flight}), sent {counters.sent}, dead-lettered "
        f"{counters.dead_lettered} ({counters.dead_letter_batches} batches waiting), requests {counters.requests} "
        f"(retried {counters.retried}), reclaimed {counters.reclaimed}, {counters.shards} shards"
    )
    print(
        f"{'worker':<36} {'alive':<5} {'seen':>6} {'shards':>6} {'in flight':>9} {'sent':>9} {'dead':>6} "
        f"{'requests':>8} {'retried':>7} {'reclaimed':>9}"
    )
    for w in counters.workers:
        print(
            f"{w.name[:36]:<36} {'yes' if w.alive else 'no':<5} {w.seen_seconds_ago:>5.0f}s {w.shards:>6} "
            f"{w.in_flight:>9} {w.sent:>9} {w.dead_lettered:>6} {w.requests:>8} {w.retried:>7} {w.reclaimed:>9}"
        )
    return 0


def dead_letters(argv: Sequence[str], prog: str | None = None) -> int:
    """List dead-lettered batches, or requeue them."""
    parser = _parser(prog, "List (or requeue) the batches the fleet could not deliver.")
    parser.add_argument(
        "--requeue", nargs="*", metavar="ID", help="requeue these dead letters (all when no ID is given)"
    )
    parser.add_argument("--limit", type=int, default=1000, help="list at most this many (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print JSON, one dead letter a line, with messageIds")
    return _run(parser, argv, _dead_letters)


def _dead_letters(args: argparse.Namespace) -> int:
    if args.requeue is not None:
        moved = requeue_dead_letters(args.redis_url, args.requeue or None)
        print(f"requeued {moved} events")
        return 0
    letters = list_dead_letters(args.redis_url, limit=args.limit)
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


def queue_secret(argv: Sequence[str], prog: str | None = None) -> int:
    """Print a new ``SEGMENT_QUEUE_SECRET``."""
    parser = _parser(prog, "Print a new SEGMENT_QUEUE_SECRET (give the same one to producers and workers).", url=False)
    return _run(parser, argv, lambda _args: _print_secret())


def _print_secret() -> int:
    print(new_secret())
    return 0
