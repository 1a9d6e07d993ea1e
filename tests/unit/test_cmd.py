"""The ``mogan`` command line: which program (service or client) a command line runs."""

from __future__ import annotations

import pytest

from mogan.cmd.main import VALUE_OPTIONS, command_word, is_service_command


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--help"],
        ["--version"],
        ["serve", "--demo"],
        ["--config-file", "/etc/mogan/mogan.conf", "serve"],
        ["--config-file=/etc/mogan/mogan.conf", "api"],
        ["engine", "--config-file", "x.conf"],
        ["db", "upgrade"],
        ["policy", "sample"],
        ["states", "diagram"],
    ],
)
def test_service_command_lines(argv: list[str]):
    assert is_service_command(argv)


@pytest.mark.parametrize(
    "argv, command",
    [
        (["--os-url", "http://127.0.0.1:6688", "type", "list", "-f", "json"], "type"),
        (["--os-url=http://127.0.0.1:6688", "type", "list"], "type"),
        (["--os-cloud", "serve", "instance", "list"], "instance"),  # a cloud named "serve"
        (["--os-project-id", "p", "--os-roles", "admin", "node", "list"], "node"),
        (["-v", "--debug", "--log-file", "x.log", "instance", "show", "web-1"], "instance"),
        (["instance", "create", "serve", "--type", "t"], "instance"),  # an instance "serve"
        (["help"], "help"),
        (["--", "zone", "list"], "zone"),
    ],
)
def test_client_command_lines(argv: list[str], command: str):
    assert command_word(argv) == command
    assert not is_service_command(argv)


def test_value_options_are_exactly_the_global_options_that_take_a_value():
    """The split must skip every global option's value: the client's parser is the truth."""
    from mogan.client.cli.shell import MoganShell

    parser = MoganShell().build_option_parser("", "0")
    client_options = {
        option
        for action in parser._actions
        if action.nargs != 0 and action.option_strings
        for option in action.option_strings
        if option.startswith("--")
    }
    assert client_options | {"--config-file"} == VALUE_OPTIONS
