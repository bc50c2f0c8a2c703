"""Settings tests share the CLI harness: a tmp working folder, a tmp database, a clean env."""

from tests.cli.conftest import cli, workdir

__all__ = ["cli", "workdir"]
