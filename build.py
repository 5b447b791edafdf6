#!/usr/bin/env python3
"""careers-site's command line: `python3 build.py build`, `serve`, `check`, … (see `sitegen/cli.py`)."""

from sitegen.cli import leave, main, start_up

__all__ = ["main"]

if __name__ == "__main__":
    start_up()
    leave(main())
