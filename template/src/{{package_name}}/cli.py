"""Command line: send the sample scenario to an endpoint.

    python -m <package> --endpoint http://127.0.0.1:8765 --write-key KEY

The write key comes from ``--write-key`` or the ``SEGMENT_WRITE_KEY`` environment variable
and is never printed.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import spec
from .client import Client
from .sample import SAMPLE_EMAIL, SAMPLE_USER_ID, scenario


def main(argv: Sequence[str] | None = None) -> int:
    """Send the sample scenario; return the exit code."""
    parser = argparse.ArgumentParser(description=f"Send the {spec.INTEGRATION_NAME} sample scenario to Segment.")
    parser.add_argument("--endpoint", help="HTTP API base URL, e.g. http://127.0.0.1:8765 (default: the region's host)")
    parser.add_argument("--region", default=spec.SUPPORTED_REGIONS[0], choices=spec.SUPPORTED_REGIONS)
    parser.add_argument("--write-key", default=os.environ.get("SEGMENT_WRITE_KEY"), help="default: $SEGMENT_WRITE_KEY")
    parser.add_argument("--user-id", default=SAMPLE_USER_ID)
    args = parser.parse_args(argv)
    if not args.write_key:
        parser.error("no write key: pass --write-key or set SEGMENT_WRITE_KEY")
    with Client(endpoint=args.endpoint) as client:
        customer = client.customer(args.write_key, region=args.region)
        events = scenario()
        for event in events:
            customer.track(user_id=args.user_id, event=event, context={"traits": {"email": SAMPLE_EMAIL}})
    print(f"sent {len(events)} events: " + ", ".join(e.spec_name for e in events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
