"""Stepwise: run `python main.py --help` for the command line."""

from visualizer.app import main

if __name__ == "__main__":
    raise SystemExit(main())
