from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

TEST_TOKEN_KEY = Fernet.generate_key().decode()


@pytest.fixture(autouse=True)
def _channel_settings(settings: Any, tmp_path: Path) -> None:
    settings.PRIVATE_FILES_DIR = tmp_path / "private"
    settings.SAFESOCIAL_CHANNEL_TOKEN_KEY = TEST_TOKEN_KEY
