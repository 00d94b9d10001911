"""Run the Source Debugger: ``python -m generator._debugger --help``."""

from ._command import main

raise SystemExit(main())
