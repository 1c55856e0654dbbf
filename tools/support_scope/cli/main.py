"""Entry point of ``support-scope``.

Each command lives in its own module and is imported only when it runs, so that
``support-scope find`` does not pay for openpyxl, deepdiff or jsonschema.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from support_scope import __version__
from support_scope.cli.common import EXIT_FAILED

# name -> (module under support_scope.cli, attribute, one-line summary for the command list)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "validate": ("validate_cmd", "validate", "Check policy documents against the schema and for meaning."),
    "diff": ("diff_cmd", "diff", "Show what changed between two policy versions and its effect on coverage."),
    "export-xlsx": (
        "workbook_cmd",
        "export_xlsx",
        "Write a policy as a workbook for legal review (Excel, Calc).",
    ),
    "import-xlsx": (
        "workbook_cmd",
        "import_xlsx",
        "Apply a reviewed workbook to its policy: diff first, conflicts refused.",
    ),
    "release": (
        "release_cmd",
        "release",
        "Bump a policy's version as its changes require, compile it, draft the CHANGELOG.",
    ),
    "check": (
        "check_cmd",
        "check",
        "The CI gate: valid policies, intact releases, versions bumped as required.",
    ),
    "compile": (
        "compile_cmd",
        "compile",
        "Compile a policy into a release: the resolved ruleset services load.",
    ),
    "decide": ("decide_cmd", "decide", "Decide whether a support request is in scope for a customer."),
    "find": ("find_cmd", "find", "Find the lines of the support matrix that mention a text."),
    "sign": (
        "sign_cmd",
        "sign",
        "Sign a release with an Ed25519 key, so that services can trust its origin.",
    ),
    "serve": (
        "serve_cmd",
        "serve",
        "Serve decisions over HTTP from a (signed) release, reloaded when it changes.",
    ),
    "test": ("test_cmd", "test", "Run decision tests: questions whose answers the policy must keep."),
    "init": ("init_cmd", "init", "Lay out a new policy repository whose CI passes on its first commit."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attribute, _ = COMMANDS[cmd_name]
        module = importlib.import_module(f"support_scope.cli.{module_name}")
        command: click.Command = getattr(module, attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Listing the commands must not import them all: use the summaries kept here.
        rows = [(name, COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="support-scope")
def cli() -> None:
    """The support scope of Act! Premium, kept as policy-as-data.

    Policies are JSON documents (policies/*.json) checked by a JSON Schema. Validate them,
    diff two versions, review them in Excel, compile a release that services load, and ask
    whether a request is in scope.

    Exit codes: 0 success; 1 the input is wrong or the check failed; 2 usage error.
    Run `support-scope COMMAND --help` for each command.
    """


def main(argv: list[str] | None = None) -> Any:
    """Run the command line (the console script's entry point)."""
    try:
        return cli.main(args=argv, prog_name="support-scope")
    except OSError as e:
        # Output that cannot be written (a full disk, a closed stream): a message, not a traceback.
        # click already handles a broken pipe; this is the rest.
        sys.stderr.write(f"support-scope: error: cannot write the output: {e.strerror or e}\n")
        raise SystemExit(EXIT_FAILED) from e
