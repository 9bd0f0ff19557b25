"""Settings files of the ``frmr-sso`` commands: what a file holds and which file is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from frmr_sso.cli.env_file import EnvFileError, apply_env_file, read_env_file, settings_file


def test_lines_comments_export_and_quotes(tmp_path: Path) -> None:
    path = tmp_path / "x.env"
    path.write_text(
        "# comment\n\nFRMR_SSO_MODE=demo\nexport FRMR_SSO_ISSUER = 'http://127.0.0.1:8000'\n"
        'FRMR_SSO_DATABASE_URL="sqlite+aiosqlite:///a b.db"\nFRMR_SSO_EMPTY=\n',
        encoding="utf-8",
    )
    assert read_env_file(path) == {
        "FRMR_SSO_MODE": "demo",
        "FRMR_SSO_ISSUER": "http://127.0.0.1:8000",
        "FRMR_SSO_DATABASE_URL": "sqlite+aiosqlite:///a b.db",
        "FRMR_SSO_EMPTY": "",
    }


def test_a_bad_line_and_a_missing_file_are_named(tmp_path: Path) -> None:
    path = tmp_path / "x.env"
    path.write_text("FRMR_SSO_MODE=demo\nnot a setting\n", encoding="utf-8")
    with pytest.raises(EnvFileError, match=r"--env-file: .*x\.env:2: expected NAME=VALUE"):
        read_env_file(path)
    with pytest.raises(EnvFileError, match=r"--env-file: cannot read .*absent\.env \(No such file"):
        read_env_file(tmp_path / "absent.env")


def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    path = tmp_path / "x.env"
    path.write_text("FRMR_SSO_MODE=demo\nFRMR_SSO_PORT=9000\n", encoding="utf-8")
    environ = {"FRMR_SSO_PORT": "8080"}
    apply_env_file(path, environ)
    assert environ == {"FRMR_SSO_PORT": "8080", "FRMR_SSO_MODE": "demo"}


def test_which_file_is_read(tmp_path: Path) -> None:
    explicit = tmp_path / "given.env"
    assert settings_file(explicit, {"FRMR_SSO_MODE": "production"}, tmp_path) == explicit
    assert settings_file(None, {}, tmp_path) is None  # no demo has run here
    demo = tmp_path / "var" / "demo.env"
    demo.parent.mkdir()
    demo.write_text("FRMR_SSO_MODE=demo\n", encoding="utf-8")
    assert settings_file(None, {"PATH": "/bin"}, tmp_path) == demo
    configured = {"FRMR_SSO_REDIS_URL": "redis://r"}
    assert settings_file(None, configured, tmp_path) is None  # a configured environment is never mixed
