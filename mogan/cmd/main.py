"""The ``mogan`` command: the service and its client behind one name, split by one rule.

The first word of the command line that is neither an option nor an option's value is the
command. ``serve``, ``api``, ``engine``, ``db``, ``policy`` and ``states`` run the service
(``mogan [--config-file FILE] serve --demo``); any other command is the client
(``mogan [--os-url URL | --os-cloud NAME …] instance list -f json``, ``mogan help``), handled
by ``mogan.client.cli.shell``. So global options go before the command, as
``openstack --os-cloud x server list`` is typed, for either program. A command line with no
command is the service's usage, which points to ``mogan help``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from mogan import __version__
from mogan import conf as mogan_conf
from mogan.cmd import allocator, logs

LOG = logging.getLogger("mogan")

#: Where each subcommand's own --config-file lands (so it works before or after the command).
_CONFIG_DESTS = ("serve_config", "api_config", "engine_config", "db_config")


#: The service's own commands; any other command is the client's.
SERVICE_COMMANDS = frozenset({"serve", "api", "engine", "db", "policy", "states"})

#: Global options, of the service and of the client (``mogan.client.cli.shell``, cliff's own
#: included), that take a value as the next word. A test holds this to the client's parser:
#: the client itself is not imported to find them, so that ``mogan serve`` does not load it.
VALUE_OPTIONS = frozenset(
    {
        "--config-file",
        "--log-file",
        "--os-url",
        "--os-cloud",
        "--os-region-name",
        "--os-interface",
        "--os-project-id",
        "--os-user-id",
        "--os-roles",
    }
)


def command_word(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names: its first word that is not an option or an option's value."""
    words = iter(argv)
    for word in words:
        if word == "--":
            return next(words, None)
        if not word.startswith("-"):
            return word
        if word in VALUE_OPTIONS:  # "--os-url URL"; "--os-url=URL" is one word
            next(words, None)
    return None


def is_service_command(argv: Sequence[str]) -> bool:
    """Whether ``argv`` runs the service (or asks for its usage) rather than the client."""
    command = command_word(argv)
    return command is None or command in SERVICE_COMMANDS


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mogan",
        description="Mogan bare-metal compute.",
        epilog="Client commands (instance, type, zone, node, image, network): 'mogan help'.",
    )
    parser.add_argument("--version", action="version", version=f"mogan {__version__}")
    parser.add_argument(
        "--config-file",
        action="append",
        default=[],
        metavar="FILE",
        help="INI configuration file (may be given more than once)",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API and an engine in one process")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="on an empty database, enrol a simulated fleet to try Mogan with",
    )
    api = commands.add_parser("api", help="run the HTTP API ([api] workers processes)")
    engine = commands.add_parser("engine", help="run one engine")
    db = commands.add_parser("db", help="database schema")
    for subcommand, dest in zip((serve, api, engine, db), _CONFIG_DESTS, strict=True):
        subcommand.add_argument(
            "--config-file",
            action="append",
            default=[],
            dest=dest,
            metavar="FILE",
            help="INI configuration file",
        )
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply the schema migrations")
    db_commands.add_parser("version", help="print the schema revision")
    policy = commands.add_parser("policy", help="authorization rules")
    policy.add_subparsers(dest="policy_command", required=True).add_parser(
        "sample", help="print every rule with its default, as a policy.yaml"
    )
    states = commands.add_parser("states", help="instance and node states")
    states.add_subparsers(dest="states_command", required=True).add_parser(
        "diagram", help="print the transition table as Graphviz dot"
    ).add_argument("--nodes", action="store_true", help="the nodes' table, not the instances'")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not is_service_command(arguments):
        from mogan.client.cli.shell import main as client_main

        return client_main(arguments)
    args = _parser().parse_args(arguments)
    files = [
        *args.config_file,
        *(path for name in _CONFIG_DESTS for path in getattr(args, name, [])),
    ]
    if args.command == "policy":
        return _policy_sample()
    if args.command == "states":
        from mogan.core import lifecycle, states

        print(lifecycle.diagram() if args.nodes else states.diagram())
        return 0
    conf = mogan_conf.load(files)
    logs.setup(conf.debug, conf.log_format)
    if args.command == "db":
        return _db(conf, args.db_command)
    allocator.limit_arenas(conf.malloc_arenas)  # before this process starts any thread
    if args.command in ("api", "engine"):
        from mogan.cmd import metrics_files

        metrics_files.prepare(conf, args.command)  # before anything imports prometheus_client
        from mogan.cmd import processes

        if args.command == "api":
            return processes.run_api(conf, files)
        return processes.run_engine(conf)
    from mogan.cmd.serve import serve

    return serve(conf, demo=args.demo)


def _db(conf: object, command: str) -> int:
    from mogan.assembly import build_database
    from mogan.db import migrate

    db = build_database(conf)  # type: ignore[arg-type]
    try:
        if command == "upgrade":
            migrate.upgrade(db)
            print(f"Database schema at revision {migrate.current(db)}")
        else:
            print(migrate.current(db) or "empty")
    finally:
        db.dispose()
    return 0


def _policy_sample() -> int:
    from mogan.services.policy import list_rules

    for rule in list_rules():
        description = getattr(rule, "description", "") or ""
        for line in description.splitlines():
            print(f"# {line}")
        for operation in getattr(rule, "operations", []) or []:
            print(f"# {operation['method']}  {operation['path']}")
        print(f'#"{rule.name}": "{rule.check_str}"\n')
    return 0


if __name__ == "__main__":
    sys.exit(main())
