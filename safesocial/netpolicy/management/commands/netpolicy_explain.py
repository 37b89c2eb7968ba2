"""`safesocial netpolicy-explain --school SLUG [--user U] [--ip IP] --host HOST [--at ISO]`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from safesocial.enforce.engine import HostError, PolicyEngine
from safesocial.enforce.snapshot import snapshot_problems
from safesocial.netpolicy.compile import build_snapshot
from safesocial.netpolicy.management.commands._common import parse_at
from safesocial.netpolicy.models import Clause
from safesocial.people.management.commands._common import UsageError, school_from_slug


class Command(BaseCommand):
    help = (
        "Say what the network would decide for a request, which rule decides it and the "
        "policy clause behind it (compiled in memory from the database; nothing is written)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--school", required=True, help="the school's slug")
        parser.add_argument("--user", help="network (proxy) username")
        parser.add_argument("--ip", help="client address")
        parser.add_argument("--host", required=True, help="host name or address asked for")
        parser.add_argument("--at", help="ISO 8601 time (default: now)")

    def handle(self, *args: Any, **options: Any) -> None:
        school = school_from_slug(options["school"])
        at = parse_at(options["at"]) or timezone.now()
        result = build_snapshot(school, at=at)
        problems = snapshot_problems(result.snapshot)
        if problems:
            raise UsageError("the policy cannot be compiled: " + "; ".join(problems[:5]))
        engine = PolicyEngine(result.snapshot)
        try:
            decision = engine.decide(options["user"], options["ip"], options["host"], at)
        except HostError as error:
            raise UsageError(f"--host {options['host']!r}: {error}") from None
        identity = engine.identify(options["user"], options["ip"])
        who = identity.person.username if identity.person else "unknown person"
        groups = ", ".join(sorted(identity.groups)) or "no group"
        clauses = dict(Clause.choices)
        write = self.stdout.write
        write(f"Decision: {'ALLOW' if decision.allowed else 'BLOCK'} {options['host']}")
        write(f"Who: {who} ({groups}); segment: {identity.segment or 'none'}")
        write(
            f"When: {timezone.localtime(at).isoformat(timespec='minutes')} "
            f"({'school hours' if engine.is_school_hours(at) else 'outside school hours'})"
        )
        write(f"Rule: {decision.rule_id}")
        write(f"Reason: {decision.reason}")
        clause = decision.clause
        write(f"Policy clause: {clauses.get(clause, clause) if clause else 'none (default)'}")
        for warning in result.warnings:
            self.stderr.write(f"note: {warning}")
