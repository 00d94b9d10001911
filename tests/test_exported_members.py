import generator

EXPECTED = [
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


def test_public_names_are_exactly_the_exported_ones():
    """The package exports this list (constants first, then sorted, as ruff's RUF022 orders it)."""
    assert generator.__all__ == EXPECTED
    for name in generator.__all__:
        assert hasattr(generator, name), name
    public = {name for name in dir(generator) if not name.startswith("_")}
    assert public <= set(generator.__all__) | {"errors"}
