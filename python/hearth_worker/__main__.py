"""Entry point: python3 -m hearth_worker --ipc-fd FD --name W-...

Placement is applied first, before torch is imported, so every thread torch
starts inherits the CPU mask. Handler logging goes to stdout (INFO) and
stderr (warnings), which the server files in model_log.log as
"<worker>-stdout MODEL_LOG - <line>", as TorchServe does.
"""

import argparse
import logging
import os
import sys


def main():
    parser = argparse.ArgumentParser(prog="hearth_worker")
    parser.add_argument("--ipc-fd", type=int, required=True)
    parser.add_argument("--name", default="")
    args = parser.parse_args()

    sys.stdout.reconfigure(line_buffering=True)
    sys.stderr.reconfigure(line_buffering=True)
    logging.basicConfig(stream=sys.stdout, format="%(message)s", level=logging.INFO)

    from hearth_worker import placement

    try:
        placement.apply_from_environment(lambda line: print(line, flush=True))
    except (OSError, ValueError) as e:
        print(f"CPU binding failed: {e}", file=sys.stderr, flush=True)

    from hearth_worker.service import serve

    return serve(args.ipc_fd, args.name)


if __name__ == "__main__":
    sys.exit(main())
