"""The README stays true: every command, subcommand and option of ``speechwatch`` is documented there."""

from __future__ import annotations

from pathlib import Path

import click

from monitor.cli import main

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def commands(group: click.Group, prefix: str = "speechwatch") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found.extend(commands(command, path))
    return found


def test_every_command_is_in_the_readme():
    missing = [path for path, _ in commands(main) if path.split(" ", 1)[1].split(" ")[0] not in README]
    assert not missing
    for path, command in commands(main):
        if isinstance(command, click.Group):
            continue
        words = path.split(" ")[1:]
        assert any(" ".join(words[-2:]) in line or words[-1] in line for line in README.splitlines()), path


def test_every_option_is_in_the_readme():
    undocumented = []
    for path, command in commands(main):
        for parameter in command.params:
            if isinstance(parameter, click.Option):
                for flag in parameter.opts:
                    if flag.startswith("--") and flag not in README:
                        undocumented.append(f"{path} {flag}")
    assert not undocumented


def test_every_speechwatch_setting_is_in_the_readme():
    settings = ("SPEECHWATCH_DB", "SPEECHWATCH_SOURCES", "SPEECHWATCH_PROXY", "SPEECHWATCH_RUN_ID",
                "SPEECHWATCH_BATCH_SIZE", "SPEECHWATCH_LOG_DIR", "SPEECHWATCH_TEST_PG", "SPEECHWATCH_CRAWL_TIMEOUT",
                "SPEECHWATCH_LOG_LEVEL", "SPEECHWATCH_DEBUG", "SPEECHWATCH_CACHE_DIR")  # fmt: skip
    assert [name for name in settings if name not in README] == []
