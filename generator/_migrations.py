"""Migrations: what moves a project along when a template version renames an answer or a file.

Why Python and not copier's ``_migrations``: copier migrations are shell tasks, so they
need ``--trust``/``unsafe=True`` and run with full rights (copier runs them through a shell),
which the style guide rules out. The generator instead applies a table keyed by template
version before it calls copier's update, and commits the result, so the project is clean
again when copier checks it.

An answer rename keeps the old key next to the new one. Copier re-renders the *old*
version from the answers file to compute the user's edits, and that render still needs the
old key; the new version only asks the new key, and copier drops the old one from the
answers file it writes (it keeps declared questions only), so nothing is left behind.

A file rename is declared for ``update`` to carry the user's edits to the new path
(``_carry``); without a declaration it is still found when the contents are alike, so
declare the renames that also rewrite the file. Paths are relative to the project; ``*``
stands for one path segment (``src/*/delivery.py`` -> ``src/*/sending.py``). File renames
apply in every update where the old path vanished, whatever the two versions: a
development build's version cannot tell which side of a move it is on (``0.1.1.dev3`` of
main may predate a move keyed ``0.1.1.dev0``), and a path that is not in the project's
last commit never vanishes, so a rename already made changes nothing.

Plain ``copier update`` does not run these migrations; ``segment-source update`` does.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import Version
from ruamel.yaml import YAML


@dataclass(frozen=True)
class Migration:
    """One template change that a project needs help with, keyed by the version making it."""

    version: str
    summary: str
    renamed_answers: Mapping[str, str] = field(default_factory=dict)
    renamed_files: Mapping[str, str] = field(default_factory=dict)


#: Every migration, oldest first.
MIGRATIONS: tuple[Migration, ...] = (
    # Issue 18: the generated package's public modules at the top, the delivery engine in
    # `_engine/`, the Redis fleet in `fleet/`, the docs preview's extension out of it.
    Migration(
        "0.1.1.dev0",
        "the package is laid out in a public top level, `_engine/` and `fleet/`",
        renamed_files={
            "src/*/_batcher.py": "src/*/_engine/batcher.py",
            "src/*/_dispatch.py": "src/*/_engine/dispatch.py",
            "src/*/_dotenv.py": "src/*/_engine/dotenv.py",
            "src/*/_ids.py": "src/*/_engine/ids.py",
            "src/*/_keys.py": "src/*/_engine/keys.py",
            "src/*/_ratelimit.py": "src/*/_engine/ratelimit.py",
            "src/*/_retry.py": "src/*/_engine/retry.py",
            "src/*/_send.py": "src/*/_engine/send.py",
            "src/*/_spool.py": "src/*/_engine/spool.py",
            "src/*/_transport.py": "src/*/_engine/transport.py",
            "src/*/_workers.py": "src/*/_engine/workers.py",
            "src/*/fleet.py": "src/*/fleet/__init__.py",
            "src/*/fleet_cli.py": "src/*/fleet/_commands.py",
            "src/*/_queue_crypto.py": "src/*/fleet/_crypto.py",
            "src/*/_redis_ack.py": "src/*/fleet/_ack.py",
            "src/*/_redis_layout.py": "src/*/fleet/_layout.py",
            "src/*/_redis_leases.py": "src/*/fleet/_leases.py",
            "src/*/_redis_limiter.py": "src/*/fleet/_limiter.py",
            "src/*/_redis_queue.py": "src/*/fleet/_queue.py",
            "src/*/_redis_worker.py": "src/*/fleet/_worker.py",
            "src/*/markdown_ext.py": "src/segment_docs_preview.py",
        },
    ),
    # The planned v0.2.0 rename of `maintainer` (it reads as a person; Segment's catalog
    # wants the maintaining company). tests/test_update.py builds a v0.2.0 that makes it;
    # until a released template asks `maintainer_company`, the guard in `renamed()` keeps
    # this entry from changing anything.
    Migration(
        "0.2.0",
        "answer `maintainer` is now `maintainer_company`",
        renamed_answers={"maintainer": "maintainer_company"},
    ),
)


def pending(
    current: Version, target: Version, table: Sequence[Migration] = MIGRATIONS
) -> list[Migration]:
    """The migrations of the versions after ``current``, up to and including ``target``."""
    return [m for m in table if current < Version(m.version) <= target]


def renamed(
    answers: Mapping[str, Any], migrations: Sequence[Migration], questions: Sequence[str]
) -> dict[str, Any]:
    """Return ``answers`` with each renamed answer also saved under its new key.

    A rename applies only when the old key is answered, the new key is not, and the target
    template asks the new key (``questions``), so running it twice, or against a template
    that never made the rename, changes nothing.
    """
    result = dict(answers)
    for migration in migrations:
        for old, new in migration.renamed_answers.items():
            if old in result and new not in result and new in questions:
                result[new] = result[old]
    return result


def renamed_files(migrations: Sequence[Migration] = MIGRATIONS) -> dict[str, str]:
    """The declared file renames of ``migrations`` (oldest first), chains followed to their end."""
    result: dict[str, str] = {}
    for migration in migrations:
        for old, new in migration.renamed_files.items():
            for start, end in result.items():
                if end == old:
                    result[start] = new
            result.setdefault(old, new)
    return result


def write_answers(path: Path, answers: Mapping[str, Any]) -> bool:
    """Add the keys of ``answers`` missing from the answers file at ``path``; True if any."""
    yaml = YAML()  # round-trip: keeps the header comment copier's template wrote
    data = yaml.load(path.read_text(encoding="utf-8"))
    added = {key: value for key, value in answers.items() if key not in data}
    if not added:
        return False
    data.update(added)
    with path.open("w", encoding="utf-8") as stream:
        yaml.dump(data, stream)
    return True
