"""The integration's version: sent as ``context.integration.version`` on every call.

Raise it with each release of this package (and ``version`` in ``pyproject.toml``).
"""

__version__ = "1.0.0"
