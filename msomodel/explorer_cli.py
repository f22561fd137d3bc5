"""``msomodel explore``: the explorer as a local web app (Voilà on 127.0.0.1)."""

from __future__ import annotations

import argparse


def cmd_explore(args: argparse.Namespace) -> int:
    from msomodel.explorer.app import serve

    if args.scenario is not None:  # a bad file is reported here (exit 2), not inside the page
        from msomodel.loader import load_scenario

        load_scenario(args.scenario)
    return serve(args.port, open_browser=not args.no_browser, scenario=args.scenario)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``explore`` sub-command (called by :mod:`msomodel.cli`)."""
    p = subparsers.add_parser(
        "explore", help="open the interactive explorer in the browser (local web app)",
        description="Serve the explorer notebook with Voilà on 127.0.0.1 and print its URL; "
                    "runs until Ctrl-C.")
    p.add_argument("--port", type=int, default=None,
                   help="port on 127.0.0.1 (default: the first free port from 8866)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    p.add_argument("--scenario", default=None, metavar="SCENARIO",
                   help="starting scenario file (default: a bundled scenario)")
    p.set_defaults(func=cmd_explore)
