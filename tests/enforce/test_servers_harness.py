"""The integration harness must skip without a server binary, but fail when CI=true."""

from __future__ import annotations

import pytest

from .servers import find_binary


def test_missing_binary_skips_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y nosuchpkg"):
        find_binary("no-such-server-binary", "nosuchpkg")


def test_missing_binary_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        find_binary("no-such-server-binary", "nosuchpkg")
