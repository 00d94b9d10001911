"""``python -m <package> [command] ...``: the same commands as the installed console script."""

import sys

from .cli import main

sys.exit(main(prog=f"python -m {__package__}"))
