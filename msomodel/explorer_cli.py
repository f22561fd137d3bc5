"""``msomodel explore``: the explorer as a local web app (Voilà on 127.0.0.1)."""

from __future__ import annotations

import argparse

from msomodel.arguments import positive_int as _positive

MAX_KERNELS = 4  # as msomodel.explorer.app.MAX_KERNELS (not imported here: keeps --help fast)


def cmd_explore(args: argparse.Namespace) -> int:
    from msomodel.explorer.app import serve

    if args.scenario is not None:  # a bad file is reported here (exit 2), not inside the page
        from msomodel.loader import load_scenario

        load_scenario(args.scenario)
    return serve(args.port, open_browser=not args.no_browser, scenario=args.scenario,
                 max_kernels=args.max_kernels)


def _port(text: str) -> int:
    """argparse type: a TCP port 1-65535 (else exit 2 with a message)."""
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: expected 1-65535")
    return port


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``explore`` sub-command (called by :mod:`msomodel.cli`)."""
    p = subparsers.add_parser(
        "explore", help="open the interactive explorer in the browser (local web app)",
        description="Serve the explorer notebook with Voilà on 127.0.0.1 and print its URL, "
                    "which carries a random access token for this run; runs until Ctrl-C "
                    "or SIGTERM, then stops every process it started. "
                    "See docs/explorer-security.md.",
        epilog="example: msomodel explore --scenario scenarios/texas_rn_single_site.yaml "
               "--port 8866 --no-browser")
    p.add_argument("--port", type=_port, default=None,
                   help="port on 127.0.0.1, 1-65535 (default: the first free port from 8866)")
    p.add_argument("--no-browser", action="store_true",
                   help="do not open a browser (open the printed URL: it carries the token)")
    p.add_argument("--max-kernels", type=_positive, default=MAX_KERNELS, metavar="N",
                   help=f"most explorer pages open at once; each runs a ~160 MB kernel "
                        f"(default: {MAX_KERNELS})")
    p.add_argument("--scenario", default=None, metavar="SCENARIO",
                   help="starting scenario file (default: a bundled scenario)")
    p.set_defaults(func=cmd_explore)
