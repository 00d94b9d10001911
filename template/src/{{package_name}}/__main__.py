import sys

from .cli import main
from .fleet_cli import COMMANDS as FLEET_COMMANDS
from .fleet_cli import main as fleet_main

# `worker`, `stats`, `dead-letters`, `queue-secret`: the Redis fleet ([redis] extra).
if sys.argv[1:2] and sys.argv[1] in FLEET_COMMANDS:
    sys.exit(fleet_main(sys.argv[1:]))
sys.exit(main(prog=f"python -m {__package__}"))
