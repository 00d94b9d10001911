"""segment-source-generator: scaffold a Segment partner Cloud Event Source."""

from ._version import __version__

__all__ = ["__version__"]
