"""segment-source-generator: scaffold a Segment partner Cloud Event Source."""

from ._about import __version__
from ._check import Item, Report, Status, check
from ._docs import DocsResult, render_docs
from ._generate import Result, generate
from ._source import TEMPLATE_URL
from ._submit import SubmitResult, submit
from ._update import UpdateCheck, UpdateResult, check_update, update
from .errors import AnswerError, DestinationError, GeneratorError, MissingAnswersError, UpdateError

__all__ = [
    "TEMPLATE_URL",
    "AnswerError",
    "DestinationError",
    "DocsResult",
    "GeneratorError",
    "Item",
    "MissingAnswersError",
    "Report",
    "Result",
    "Status",
    "SubmitResult",
    "UpdateCheck",
    "UpdateError",
    "UpdateResult",
    "__version__",
    "check",
    "check_update",
    "generate",
    "render_docs",
    "submit",
    "update",
]
