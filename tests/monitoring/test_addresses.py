"""normal_address: the canonical text of a logged client address. Its IPv4 shortcut must
agree with `ipaddress` (parsed_address), on good and bad text alike."""

from __future__ import annotations

import random

import pytest

from safesocial.monitoring.engine.policy import normal_address, parsed_address


@pytest.mark.parametrize(
    "text",
    [
        "10.0.0.1",
        "0.0.0.0",  # noqa: S104
        "255.255.255.255",
        "256.1.1.1",
        "01.2.3.4",  # leading zero: not an address (ipaddress refuses it)
        "1.2.3",
        "1.2.3.4.5",
        "1.2.3.",
        ".1.2.3",
        "1..2.3",
        " 1.2.3.4",
        "1.2.3.4 ",
        "+1.2.3.4",
        "\u0661.\u0662.\u0663.\u0664",  # Arabic-Indic digits: isdigit() says yes
        "1.2.3.4%eth0",
        "::ffff:10.1.2.3",
        "2001:DB8::1",
        "2001:db8:0:0:1:0:0:1",
        "fe80::1%eth0",
        "localhost",
        "",
        "-",
    ],
)
def test_normal_address_agrees_with_ipaddress(text: str) -> None:
    assert normal_address(text) == parsed_address(text)


def test_normal_address_on_random_dotted_text() -> None:
    rng = random.Random(7)
    pieces = ["0", "00", "1", "09", "10", "99", "100", "199", "255", "256", "999", "", "a", "-1"]
    for _ in range(5000):
        text = ".".join(rng.choice(pieces) for _ in range(rng.choice([3, 4, 4, 4, 5])))
        assert normal_address(text) == parsed_address(text), text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10.0.0.1", "10.0.0.1"),
        ("01.2.3.4", None),
        ("::ffff:10.1.2.3", "10.1.2.3"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("fe80::1%eth0", "fe80::1"),
        ("not-an-address", None),
    ],
)
def test_normal_address_values(text: str, expected: str | None) -> None:
    assert normal_address(text) == expected
