"""One module per CLI command.

Each module defines ``NAME``, ``HELP``, ``ORDER`` (position in ``bench --help``) and
``register(subparsers) -> None``, which adds its parser and sets ``handler`` to a function
``(args) -> int``. Modules import only argparse at top level: heavy imports happen inside
the handler, so ``bench --help`` stays fast.
"""
