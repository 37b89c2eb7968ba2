from __future__ import annotations

import dataclasses
import os
import random
import subprocess
import time
from pathlib import Path

import pytest

from safesocial.enforce.snapshot import write_snapshot

from .helper_process import HelperProcess, helper_command, helper_env, parse_reply
from .school import CHANNEL_MANAGER, LEARNER, SANCTIONED, TEACHER, school_snapshot

IN_HOURS_ISO = "2025-03-04T10:15:00+00:00"
AFTER_HOURS_ISO = "2025-03-04T18:00:00+00:00"


@pytest.fixture
def snapshot_path(tmp_path: Path) -> Path:
    path = tmp_path / "net.snap"
    write_snapshot(school_snapshot(), path)
    return path


def start(snapshot: Path, now: str = IN_HOURS_ISO, *args: str, **env: str) -> HelperProcess:
    return HelperProcess(
        "--snapshot", str(snapshot), *args, env=helper_env(SAFESOCIAL_FAKE_NOW=now, **env)
    )


def test_blocked_reply_carries_reason_clause_and_rule(snapshot_path: Path) -> None:
    with start(snapshot_path) as helper:
        (reply,) = helper.ask(f"{LEARNER} 10.20.3.4 www.facebook.com")
        head, values = parse_reply(reply)
        assert head == "ERR"
        assert values["log"] == "learners-social-school-hours"
        assert "personal social media" in values["message"]
        assert "(policy clause 6)" in values["message"]
        assert " " not in reply.split("message=", 1)[1].split(" ")[0]  # URL-encoded, one token


def test_allowed_reply_is_ok_with_rule(snapshot_path: Path) -> None:
    with start(snapshot_path) as helper:
        replies = helper.ask(
            f"{LEARNER} 10.20.3.4 www.bbc.co.uk", f"{CHANNEL_MANAGER} 10.30.2.2 www.facebook.com"
        )
        assert [parse_reply(r)[0] for r in replies] == ["OK", "OK"]
        assert parse_reply(replies[0])[1]["log"] == "default"
        assert parse_reply(replies[1])[1]["log"] == "channel-facebook"


def test_fields_are_url_decoded_and_dash_means_absent(snapshot_path: Path) -> None:
    with start(snapshot_path) as helper:
        teacher = TEACHER.replace(".", "%2E")
        replies = helper.ask(f"{teacher} - www.instagram.com", "- 10.20.0.15 www.bbc.co.uk")
        assert parse_reply(replies[0])[1]["log"] == "staff-social-school-hours"
        assert parse_reply(replies[1])[1]["log"] == "sanction:s-1"


def test_fake_now_moves_the_decision_out_of_school_hours(snapshot_path: Path) -> None:
    with start(snapshot_path, AFTER_HOURS_ISO) as helper:
        (reply,) = helper.ask(f"{LEARNER} 10.20.3.4 www.facebook.com")
        assert parse_reply(reply)[0] == "OK"
    with start(snapshot_path, "2025-03-04T10:15:00") as helper:  # no offset: London time
        (reply,) = helper.ask(f"{LEARNER} 10.20.3.4 www.facebook.com")
        assert parse_reply(reply)[0] == "ERR"


def test_concurrency_channel_ids_are_echoed_in_pipelined_batches(snapshot_path: Path) -> None:
    rng = random.Random(7)
    cases = [
        (f"{LEARNER} 10.20.3.4 www.facebook.com", "ERR"),
        (f"{LEARNER} 10.20.3.4 www.bbc.co.uk", "OK"),
        (f"{SANCTIONED} - www.bbc.co.uk", "ERR"),
        (f"{CHANNEL_MANAGER} - static.xx.fbcdn.net", "OK"),
    ]
    picks = [rng.choice(cases) for _ in range(200)]
    channels = list(range(200))
    rng.shuffle(channels)
    with start(snapshot_path) as helper:
        # One write with every request, as Squid does when lookups queue up.
        helper.send(
            "".join(
                f"{ch} {line}\n" for ch, (line, _) in zip(channels, picks, strict=True)
            ).encode()
        )
        replies = helper.read_lines(len(picks))
    for channel, (_, expected), reply in zip(channels, picks, replies, strict=True):
        head, values = parse_reply(reply)
        assert head == f"{channel} {expected}"
        assert "log" in values and "message" in values


def test_malformed_lines_get_bh_and_the_helper_carries_on(snapshot_path: Path) -> None:
    with start(snapshot_path) as helper:
        replies = helper.ask(
            f"0 {LEARNER} 10.20.3.4 www.facebook.com",
            "1 only-two fields",
            "2 - - -",
            "3 - - [::1",
            f"4 {LEARNER} 10.20.3.4 www.facebook.com",
        )
    heads = [parse_reply(r)[0] for r in replies]
    assert heads == ["0 ERR", "1 BH", "2 BH", "3 BH", "4 ERR"]
    assert "expected 3 fields" in parse_reply(replies[1])[1]["message"]
    assert "no host" in parse_reply(replies[2])[1]["message"]
    assert "host cannot be understood" in parse_reply(replies[3])[1]["message"]


@pytest.mark.parametrize("channel", ["", "7 "])
def test_acl_arguments_appended_by_squid_are_ignored(snapshot_path: Path, channel: str) -> None:
    # Squid appends %DATA ("-" when the acl line has no arguments) after the format fields.
    with start(snapshot_path) as helper:
        replies = helper.ask(
            f"{channel}{LEARNER} 10.20.3.4 www.facebook.com -",
            f"{channel}12345 10.20.3.4 www.bbc.co.uk -",  # numeric login, unknown person
            f"{channel}- - www.facebook.com some acl args",
        )
    assert [parse_reply(r)[0] for r in replies] == [f"{channel}ERR", f"{channel}OK", f"{channel}OK"]


def test_malformed_line_without_concurrency(snapshot_path: Path) -> None:
    with start(snapshot_path) as helper:
        replies = helper.ask("garbage", f"{LEARNER} 10.20.3.4 www.facebook.com")
    assert [parse_reply(r)[0] for r in replies] == ["BH", "ERR"]


def test_stderr_holds_nothing_personal(snapshot_path: Path) -> None:
    with start(snapshot_path) as helper:
        helper.ask(f"{LEARNER} 10.20.3.4 www.facebook.com", "bad line here now", "x y")
        status, stderr = helper.close()
    assert status == 0
    assert "loaded snapshot" in stderr and "st-aidans" in stderr
    for personal in (LEARNER, "10.20.3.4", "facebook", "bad line"):
        assert personal not in stderr


@pytest.mark.parametrize(
    ("flag", "env", "expected"),
    [
        ((), {}, "ERR"),  # closed is the default
        (("--fail", "closed"), {}, "ERR"),
        (("--fail", "open"), {}, "OK"),
        ((), {"SAFESOCIAL_FAIL_MODE": "open"}, "OK"),
        (("--fail", "closed"), {"SAFESOCIAL_FAIL_MODE": "open"}, "ERR"),  # flag wins
    ],
)
def test_fail_mode_when_snapshot_missing(
    tmp_path: Path, flag: tuple[str, ...], env: dict[str, str], expected: str
) -> None:
    with start(tmp_path / "absent.snap", IN_HOURS_ISO, *flag, **env) as helper:
        (reply,) = helper.ask(f"{LEARNER} 10.20.3.4 www.bbc.co.uk")
        _status, stderr = helper.close()
    head, values = parse_reply(reply)
    assert head == expected
    assert values["log"] == "snapshot-unavailable"
    assert "missing" in stderr


def test_fail_closed_when_snapshot_corrupt(snapshot_path: Path) -> None:
    data = snapshot_path.read_bytes()
    os.chmod(snapshot_path, 0o644)
    snapshot_path.write_bytes(data[:-40])
    with start(snapshot_path) as helper:
        (reply,) = helper.ask(f"{LEARNER} 10.20.3.4 www.bbc.co.uk")
        _, stderr = helper.close()
    assert parse_reply(reply)[0] == "ERR"
    assert "truncated" in stderr
    assert "Traceback" not in stderr


def test_reload_when_the_file_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "net.snap"
    lenient = dataclasses.replace(school_snapshot(), rules=())
    write_snapshot(lenient, path)
    with start(path) as helper:
        (before,) = helper.ask(f"{LEARNER} 10.20.3.4 www.facebook.com")
        assert parse_reply(before)[0] == "OK"
        write_snapshot(school_snapshot(version=2), path)
        time.sleep(1.2)  # the helper looks at the file at most once a second
        (after,) = helper.ask(f"{LEARNER} 10.20.3.4 www.facebook.com")
        assert parse_reply(after)[0] == "ERR"
        # A damaged replacement is refused and the last good snapshot stays in force.
        broken = tmp_path / "broken"
        broken.write_bytes(path.read_bytes()[:100])
        os.replace(broken, path)
        time.sleep(1.2)
        (kept,) = helper.ask(f"{LEARNER} 10.20.3.4 www.facebook.com")
        assert parse_reply(kept)[0] == "ERR"
        _, stderr = helper.close()
    assert "version 2" in stderr
    assert "keeping the loaded one" in stderr


def test_recovers_once_a_snapshot_appears(tmp_path: Path) -> None:
    path = tmp_path / "net.snap"
    with start(path) as helper:
        (first,) = helper.ask(f"{LEARNER} 10.20.3.4 www.bbc.co.uk")
        assert parse_reply(first)[1]["log"] == "snapshot-unavailable"
        write_snapshot(school_snapshot(), path)
        time.sleep(1.2)
        (second,) = helper.ask(f"{LEARNER} 10.20.3.4 www.bbc.co.uk")
        assert parse_reply(second)[0] == "OK"
        assert parse_reply(second)[1]["log"] == "default"


def test_custom_format_with_url(snapshot_path: Path) -> None:
    with start(snapshot_path, IN_HOURS_ISO, "--format", "%>a %un %>ru") as helper:
        replies = helper.ask(
            f"10.20.3.4 {LEARNER} https%3A//m.facebook.com/profile",
            f"10.20.3.4 {LEARNER} www.facebook.com:443",
        )
    assert [parse_reply(r)[1]["log"] for r in replies] == ["learners-social-school-hours"] * 2


@pytest.mark.parametrize(
    ("args", "env", "complaint"),
    [
        ((), {}, "--snapshot"),
        (("--snapshot", "x", "--format", "%un %>a"), {}, "no host"),
        (("--snapshot", "x"), {"SAFESOCIAL_FAKE_NOW": "yesterday"}, "ISO 8601"),
        (("--snapshot", "x", "--fail", "maybe"), {}, "invalid choice"),
    ],
)
def test_bad_startup_is_one_clear_line(
    args: tuple[str, ...], env: dict[str, str], complaint: str
) -> None:
    result = subprocess.run(
        helper_command(*args),
        input=b"",
        capture_output=True,
        env=helper_env(**env),
        timeout=20,
        check=False,
    )
    assert result.returncode == 2
    assert complaint in result.stderr.decode()
    assert b"Traceback" not in result.stderr
