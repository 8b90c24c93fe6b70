"""The ``formcheck`` command line: thin over the library.

Every command parses its options, calls the library and prints. A
:class:`~formcheck.errors.FormcheckError` becomes one line on stderr and exit
code 2.
"""

from __future__ import annotations

import sys

import click

from .errors import FormcheckError

__all__ = ["main", "cli"]


class _FormcheckGroup(click.Group):
    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except FormcheckError as exc:
            click.echo(f"formcheck: error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_FormcheckGroup)
@click.version_option(package_name="formcheck")
def cli():
    """Check the form of every rep of an exercise.

    \b
    Example:
      formcheck demo
    """


@cli.command()
@click.option("--exercise", default="squat", show_default=True,
              type=click.Choice(["squat", "pull-up", "push-up"]))
@click.option("--subjects", default=8, show_default=True, help="Synthetic subjects.")
@click.option("--seed", default=0, show_default=True)
def demo(exercise, subjects, seed):
    """Run the whole pipeline on built-in synthetic data; no files needed.

    Synthetic sets -> joint angles -> reps -> both classifiers trained on some
    subjects and tested on others -> a verdict for every rep of a new set.

    \b
    Example:
      formcheck demo --exercise push-up
    """
    from .demo import run_demo

    run_demo(exercise=exercise, n_subjects=subjects, seed=seed, echo=click.echo)


def main(argv=None):
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="formcheck")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
