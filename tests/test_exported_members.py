import generator


def test_all_names_are_exported_and_sorted():
    assert generator.__all__ == sorted(generator.__all__)
    for name in generator.__all__:
        assert hasattr(generator, name), name
    public = {name for name in dir(generator) if not name.startswith("_")}
    assert public <= set(generator.__all__) | {"errors"}
