"""`safesocial import-policy --school SLUG --policy SLUG FILE.md`: a policy's text as a draft."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser

from safesocial.people.management.commands._common import UsageError, school_from_slug
from safesocial.policies.models import Policy, PolicyKind
from safesocial.policies.services import (
    PolicyError,
    policy_register_setup,
    slug_for_kind,
    version_import,
)
from safesocial.policies.structure import parse_policy

MAX_BYTES = 1024 * 1024


class Command(BaseCommand):
    help = (
        "Import a policy's text (Markdown with numbered sections and clauses) as a draft version. "
        "Nothing is written if the file has a problem; every problem is listed with its line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument(
            "--policy", required=True, help="the policy's slug, e.g. social-media, acceptable-use"
        )
        parser.add_argument("file", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        school = school_from_slug(options["school"])
        path: Path = options["file"]
        slug: str = options["policy"]
        policy = Policy.objects.for_school(school).filter(slug=slug).first()
        standard = {slug_for_kind(kind) for kind in PolicyKind.values}
        if policy is None and slug not in standard:
            known = ", ".join(
                sorted(
                    standard | set(Policy.objects.for_school(school).values_list("slug", flat=True))
                )
            )
            raise UsageError(f"no policy with the slug {slug!r} (known: {known})")
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise UsageError(f"cannot read {path}: {error.strerror}") from None
        if len(raw) > MAX_BYTES:
            raise UsageError(f"{path}: the file is larger than 1 MB")
        try:
            body = raw.decode("utf-8").replace("\r\n", "\n")
        except UnicodeDecodeError as error:
            raise UsageError(f"{path}: not UTF-8 text (byte {error.start})") from None
        problems = parse_policy(body).problems
        if problems:
            for problem in problems:
                self.stderr.write(f"{path}: {problem}")
            raise UsageError(f"{path}: {len(problems)} problem(s); nothing was imported")
        if policy is None:
            policy_register_setup(school=school)
            policy = Policy.objects.for_school(school).get(slug=slug)
        try:
            version = version_import(policy=policy, body=body)
        except (PolicyError, ValidationError) as error:
            raise UsageError(f"{path}: {error}") from None
        self.stdout.write(
            f"Imported {path.name} as draft version {version.number} of the {policy.title}. "
            "It becomes current once the headteacher and the chair of trustees sign it."
        )
