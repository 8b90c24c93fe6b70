"""``python -m formcheck``: the same as the ``formcheck`` command."""

from .cli import main

main()
