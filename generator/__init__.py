"""segment-source-generator: scaffold a Segment partner Cloud Event Source."""

from ._about import __version__
from ._generate import Result, generate
from ._source import TEMPLATE_URL
from ._update import UpdateCheck, UpdateResult, check_update, update
from .errors import AnswerError, DestinationError, GeneratorError, MissingAnswersError, UpdateError

__all__ = [
    "TEMPLATE_URL",
    "AnswerError",
    "DestinationError",
    "GeneratorError",
    "MissingAnswersError",
    "Result",
    "UpdateCheck",
    "UpdateError",
    "UpdateResult",
    "__version__",
    "check_update",
    "generate",
    "update",
]
