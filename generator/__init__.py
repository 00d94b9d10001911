"""segment-source-generator: scaffold a Segment partner Cloud Event Source."""

from ._generate import Result, generate
from ._about import __version__
from .errors import AnswerError, DestinationError, GeneratorError, MissingAnswersError

__all__ = [
    "AnswerError",
    "DestinationError",
    "GeneratorError",
    "MissingAnswersError",
    "Result",
    "__version__",
    "generate",
]
