"""One user-error type: every user error is a FewlabelsError, and the CLI has one handler."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import fewlabels.errors as errors
from fewlabels.cli import app

runner = CliRunner()


@pytest.mark.parametrize("name", [n for n in errors.__all__ if n[0].isupper()])
def test_every_error_class_is_a_fewlabels_error_and_a_value_error(name: str) -> None:
    cls = getattr(errors, name)
    assert issubclass(cls, errors.FewlabelsError)
    assert issubclass(cls, ValueError)


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.InputTypeError, TypeError),
        (errors.MissingFileError, FileNotFoundError),
        (errors.MissingKeyError, KeyError),
        (errors.MissingExtraError, ImportError),
        (errors.StateError, RuntimeError),
    ],
)
def test_subclasses_keep_the_builtin_a_caller_expects(cls: type, builtin: type) -> None:
    assert issubclass(cls, builtin)


def test_missing_key_error_prints_its_message_without_quotes() -> None:
    assert (
        str(errors.MissingKeyError("Expected the column 'text'.")) == "Expected the column 'text'."
    )


def test_missing_extra_names_the_extra_and_the_module() -> None:
    exc = errors.missing_extra("CLIP encoders", "vision", ImportError("no", name="transformers"))
    assert isinstance(exc, errors.MissingExtraError)
    assert "transformers" in str(exc) and "pip install 'fewlabels[vision]'" in str(exc)


def test_cli_prints_a_user_error_as_one_line_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    import fewlabels.demo

    def bad(**_: object) -> None:
        raise errors.InputTypeError("Expected [bold]texts[/], but got an int.")

    monkeypatch.setattr(fewlabels.demo, "run_demo", bad)
    out = runner.invoke(app, ["demo"], terminal_width=200)
    assert out.exit_code == 2
    # Rich markup in a message is printed literally, not interpreted.
    assert "error: Expected [bold]texts[/], but got an int." in out.output
    assert "Traceback" not in out.output


def test_cli_lets_a_library_bug_through_with_its_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import fewlabels.demo

    def buggy(**_: object) -> None:
        raise TypeError("unsupported operand type(s)")  # a bug, not a user error

    monkeypatch.setattr(fewlabels.demo, "run_demo", buggy)
    out = runner.invoke(app, ["demo"], terminal_width=200)
    assert out.exit_code == 1
    assert isinstance(out.exception, TypeError)
    assert "error:" not in out.output
