"""`import-policy`: all or nothing, one line per problem, exit code 2."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from safesocial.people.models import School
from safesocial.policies.models import Policy, PolicyVersion
from tests.policies.factories import BODY, BODY_V2, approved_policy

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_policy", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_creates_a_draft_and_the_register_entry(school: School, tmp_path: Path) -> None:
    path = tmp_path / "policy.md"
    path.write_text(BODY)
    out, _ = run("--school", "test", "--policy", "social-media", str(path))
    assert "draft version 1" in out
    policy = Policy.objects.get(school=school, slug="social-media")
    version = policy.versions.get()
    assert version.body == BODY and not version.is_approved and policy.current_version is None
    # Importing again replaces the open draft rather than stacking drafts.
    path.write_text(BODY_V2)
    run("--school", "test", "--policy", "social-media", str(path))
    assert policy.versions.get().body == BODY_V2


def test_bad_file_lists_every_problem_and_writes_nothing(school: School, tmp_path: Path) -> None:
    path = tmp_path / "bad.md"
    path.write_text("## 1 Aims\n1(1) One.\n1(1) Two.\n## 2 Empty\n")
    with pytest.raises(CommandError) as raised:
        run("--school", "test", "--policy", "social-media", str(path))
    assert raised.value.returncode == 2
    assert "2 problem(s); nothing was imported" in str(raised.value)
    assert not Policy.objects.exists() and not PolicyVersion.objects.exists()


def test_problem_lines_go_to_stderr(school: School, tmp_path: Path) -> None:
    path = tmp_path / "flat.md"
    path.write_text("Just some words.\n")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "import_policy", "--school", "test", "--policy", "social-media", str(path), stderr=err
        )
    assert f"{path}: line 1: no numbered sections" in err.getvalue()


def test_unknown_school_policy_and_file(school: School, tmp_path: Path) -> None:
    for args, message in (
        (["--school", "nope", "--policy", "social-media", "x.md"], "no school"),
        (["--school", "test", "--policy", "nope", "x.md"], "no policy with the slug 'nope'"),
        (["--school", "test", "--policy", "social-media", str(tmp_path / "x.md")], "cannot read"),
    ):
        with pytest.raises(CommandError, match=message) as raised:
            run(*args)
        assert raised.value.returncode == 2


def test_import_over_an_approved_version_starts_a_new_draft(school: School, tmp_path: Path) -> None:
    policy = approved_policy(school)
    path = tmp_path / "v2.md"
    path.write_text(BODY_V2)
    out, _ = run("--school", "test", "--policy", policy.slug, str(path))
    assert "draft version 2" in out
    policy.refresh_from_db()
    assert policy.current_version is not None and policy.current_version.body == BODY
