"""The command line, through click's CliRunner."""

from click.testing import CliRunner

from formcheck.cli import cli


def test_demo_runs_the_whole_pipeline():
    result = CliRunner().invoke(cli, ["demo", "--exercise", "push-up", "--subjects", "4"])
    assert result.exit_code == 0, result.output
    assert "-> 5 reps" in result.output
    assert result.output.count("accuracy") == 2
    assert "push-up/upper-body-first" in result.output


def test_errors_become_one_line_and_exit_code_2():
    result = CliRunner().invoke(cli, ["demo", "--subjects", "1"])
    assert result.exit_code == 2
    assert result.output.strip() == (
        "formcheck: error: the demo needs at least 4 synthetic people, got 1")


def test_help_shows_an_example():
    for command in ([], ["demo"]):
        result = CliRunner().invoke(cli, command + ["--help"])
        assert result.exit_code == 0 and "Example:" in result.output
