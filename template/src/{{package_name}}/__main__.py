import sys

from .cli import main
from .fleet_cli import COMMANDS as FLEET_COMMANDS
from .fleet_cli import main as fleet_main
from .service.commands import COMMANDS as SERVICE_COMMANDS
from .service.commands import main as service_main

# `worker`, `stats`, `dead-letters`, `queue-secret`: the Redis fleet ([redis] extra).
if sys.argv[1:2] and sys.argv[1] in FLEET_COMMANDS:
    sys.exit(fleet_main(sys.argv[1:]))
# `serve`, `settings-secret`, `rotate-secret`, `settings-link`, `db`: the service ([service] extra).
if sys.argv[1:2] and sys.argv[1] in SERVICE_COMMANDS:
    sys.exit(service_main(sys.argv[1:], prog=f"python -m {__package__}"))
sys.exit(main(prog=f"python -m {__package__}"))
