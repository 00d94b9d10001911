"""segment-source-generator: scaffold a Segment partner Cloud Event Source."""

from ._check import Item, Report, Status, check
from ._docs import DocsResult, render_docs
from ._generate import Result, generate
from ._version import __version__
from .errors import AnswerError, DestinationError, GeneratorError, MissingAnswersError

__all__ = [
    "AnswerError",
    "DestinationError",
    "DocsResult",
    "GeneratorError",
    "Item",
    "MissingAnswersError",
    "Report",
    "Result",
    "Status",
    "__version__",
    "check",
    "generate",
    "render_docs",
]
