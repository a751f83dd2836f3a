"""The ``indicators`` command's entry point: the report workers' server starts first.

``indicators build`` forks its report workers from a server process that
imports pandas, matplotlib and the toolkit (about 1.3 s of CPU). Started here,
before the command-line interface and its libraries are imported (0.35 s), it
is ready that much earlier; for a one-area rebuild at 300 areas its start-up
and the report are the longest path (issue 7). This only guesses from the
arguments; :func:`indicators.cli.build` decides (and starts the server if this
did not). A wrong guess costs an idle server, which ends with this process.
"""

from __future__ import annotations

import sys


def builds_with_local_workers(argv: list[str]) -> bool:
    """Whether ``argv`` (without the program name) asks for a build on local workers:
    ``build`` without ``--dry-run``, ``--scheduler`` or ``--help``, and not one job."""
    if not argv or argv[0] != "build":
        return False
    args = argv[1:]
    if any(a in ("--dry-run", "--help") or a.startswith("--scheduler") for a in args):
        return False
    for i, a in enumerate(args):
        value = None
        if a in ("-j", "--jobs") and i + 1 < len(args):
            value = args[i + 1]
        elif a.startswith("--jobs="):
            value = a.split("=", 1)[1]
        elif a.startswith("-j") and len(a) > 2:
            value = a[2:]
        if value is not None and value.strip() == "1":
            return False
    return True


def main() -> None:
    """Start the workers' server when a build will want it, then run the command."""
    if builds_with_local_workers(sys.argv[1:]):
        from indicators.distributed import default_jobs, start_forkserver

        if default_jobs() > 1:
            start_forkserver()
    from indicators.cli import run

    run()


if __name__ == "__main__":  # pragma: no cover
    main()
