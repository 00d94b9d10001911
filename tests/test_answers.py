"""Gathering answers: flags, answers files, defaults, missing and unknown keys."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from generator import AnswerError, GeneratorError
from generator._answers import (
    ANSWERS_FILE,
    complete,
    load_data_file,
    missing,
    parse_data_pairs,
    questions,
    required_keys,
    validate,
)


def test_the_answers_file_is_the_one_copier_yml_names():
    """The generator's one name for it is the template's: copier writes it there."""
    from generator._template_files import template_root

    config = YAML(typ="safe").load((template_root() / "copier.yml").read_text(encoding="utf-8"))
    assert config["_answers_file"] == ANSWERS_FILE == ".copier-answers.yml"


def test_questions_follow_the_interface_order():
    assert list(questions()) == [
        "integration_name",
        "slug",
        "regions",
        "description",
        "website",
        "categories",
        "support_email",
        "maintainer",
        "event_families",
        "anonymous_fallback",
        "lifecycle",
    ]
    assert required_keys() == [
        "integration_name",
        "description",
        "website",
        "categories",
        "support_email",
    ]


def test_data_pairs_keep_scalars_as_text_and_read_lists():
    parsed = parse_data_pairs(
        ["integration_name=yes", "regions=[us, eu]", "categories=CRM,Analytics", "description=a=b"]
    )
    assert parsed == {
        "integration_name": "yes",
        "regions": ["us", "eu"],
        "categories": "CRM,Analytics",
        "description": "a=b",
    }


def test_a_data_pair_without_equals_is_refused():
    with pytest.raises(GeneratorError, match="KEY=VALUE"):
        parse_data_pairs(["slug"])


def test_defaults_chain_from_earlier_answers():
    filled = complete({"integration_name": "Acme Mail"})
    assert filled["slug"] == "acme-mail"
    assert filled["maintainer"] == "Acme Mail"
    assert filled["regions"] == ["us"]
    assert filled["event_families"] == ["email"]
    assert missing(filled) == ["description", "website", "categories", "support_email"]


@pytest.mark.parametrize(
    ("categories", "families"),
    [
        (["Livechat", "CRM"], ["live_chat"]),
        ("Experimentation,Analytics", ["ab_testing"]),  # as --data gives it
        (["Email Marketing"], ["email"]),
        (["Payments"], ["ecommerce"]),
        (["Analytics"], ["email"]),  # no family of its own
    ],
)
def test_family_default_follows_the_primary_category(categories, families):
    assert (
        complete({"integration_name": "Acme", "categories": categories})["event_families"]
        == families
    )


def test_plain_copier_gives_the_same_family_default(tmp_path):
    """copier.yml's default (what `copier copy` uses) reads the same table as the generator."""
    import shutil

    import copier

    from generator._template_files import template_root

    answers = {
        "integration_name": "Talk",
        "slug": "talk",
        "description": "Chat.",
        "website": "https://talk.example",
        "categories": ["Livechat"],
        "support_email": "help@talk.example",
    }
    source = tmp_path / "template"  # a plain folder: copier reads it as it is, no git
    source.mkdir()
    shutil.copy(template_root() / "copier.yml", source / "copier.yml")
    for folder in ("template", "docs_templates"):
        shutil.copytree(template_root() / folder, source / folder)
    worker = copier.run_copy(str(source), tmp_path / "p", data=answers, defaults=True, quiet=True)
    assert worker.answers.user["event_families"] == ["live_chat"]


def test_unknown_keys_are_refused_by_name():
    with pytest.raises(AnswerError, match="not a question") as caught:
        validate({"slugg": "x"})
    assert caught.value.field == "slugg"


def test_answers_file_is_read_as_yaml_1_2_and_private_keys_are_ignored(tmp_path):
    path = tmp_path / "answers.yml"
    path.write_text("_src_path: x\nintegration_name: yes\nregions: [us, eu]\n", encoding="utf-8")
    assert load_data_file(path) == {"integration_name": "yes", "regions": ["us", "eu"]}


@pytest.mark.parametrize(
    ("text", "problem"), [("a: [", "not valid YAML"), ("- a\n- b\n", "not a mapping")]
)
def test_bad_answers_files_are_refused(tmp_path, text, problem):
    path = tmp_path / "answers.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GeneratorError, match=problem):
        load_data_file(path)


def test_missing_answers_file_is_refused(tmp_path):
    with pytest.raises(GeneratorError, match="cannot be read"):
        load_data_file(tmp_path / "nope.yml")
