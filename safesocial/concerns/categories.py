"""Concern categories as data: each names its policy clauses, the policy that governs it and
where it is routed. Routing reads this table; nothing else spells out the rules."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Category(models.TextChoices):
    BULLYING = "bullying", "Online bullying"
    HARMFUL_CONTENT = "harmful_content", "Inappropriate or harmful content"
    PERSONAL_ACCOUNT_CONTACT = (
        "personal_account_contact",
        "Contact from a learner or parent on a staff member's personal account",
    )
    STAFF_CONDUCT = "staff_conduct", "Staff content that may conflict with their role"
    DEVICE_MISUSE = "device_misuse", "Misuse of school devices or excessive use"
    UNDERAGE_USE = "underage_use", "Under-age use of a service"
    OFFICIAL_CHANNEL = "official_channel", "A concern on an official school channel"
    ALLEGATION = "allegation", "Allegation against a member of staff"
    SAFEGUARDING_OTHER = "safeguarding_other", "Other safeguarding concern"


class Route(models.TextChoices):
    DSL = "dsl", "Designated Safeguarding Lead and deputies"
    LEADERSHIP = "leadership", "Headteacher (leadership)"
    ALLEGATION = "allegation", "Headteacher, or the chair of trustees"


@dataclass(frozen=True)
class CategoryRule:
    clauses: tuple[str, ...]
    governing_policy: str
    route: str
    safeguarding: bool  # alert the DSL and deputies at once
    public: bool = True  # offered on the public form
    hint: str = ""


RULES: dict[str, CategoryRule] = {
    Category.BULLYING: CategoryRule(
        ("3", "6", "8"),
        "Anti-bullying policy",
        Route.DSL,
        True,
        hint="Someone is being threatened, humiliated or picked on online.",
    ),
    Category.HARMFUL_CONTENT: CategoryRule(
        ("3", "6"),
        "Child protection policy",
        Route.DSL,
        True,
        hint="Something online that is upsetting, harmful or not right for children.",
    ),
    Category.PERSONAL_ACCOUNT_CONTACT: CategoryRule(
        ("4.2",),
        "Code of conduct and child protection policy",
        Route.DSL,
        True,
        hint="A learner or family got in touch with a member of staff on a private account.",
    ),
    Category.STAFF_CONDUCT: CategoryRule(
        ("4.1",),
        "Code of conduct",
        Route.LEADERSHIP,
        False,
        public=False,
        hint="For staff: something you or a colleague shared may not fit a school role.",
    ),
    Category.DEVICE_MISUSE: CategoryRule(
        ("3",),
        "Acceptable use policy and behaviour policy",
        Route.DSL,
        False,
        hint="School computers or the school network used in the wrong way, or too much.",
    ),
    Category.UNDERAGE_USE: CategoryRule(
        ("6",),
        "Child protection policy",
        Route.DSL,
        True,
        hint="A learner uses an app or game meant for older people.",
    ),
    Category.OFFICIAL_CHANNEL: CategoryRule(
        ("5",),
        "Official channels guidance and code of conduct",
        Route.LEADERSHIP,
        False,
        hint="Criticism, unsuitable posts or messages from learners on a school account.",
    ),
    Category.ALLEGATION: CategoryRule(
        ("4", "8"),
        "Allegations against staff procedure",
        Route.ALLEGATION,
        False,
        hint="A worry that an adult working at the school may have harmed a child.",
    ),
    Category.SAFEGUARDING_OTHER: CategoryRule(
        ("8",),
        "Child protection policy",
        Route.DSL,
        True,
        hint="Any other worry about a child's safety or wellbeing.",
    ),
}

SAFEGUARDING_CATEGORIES = frozenset(code for code, rule in RULES.items() if rule.safeguarding)


def rule_for(category: str) -> CategoryRule:
    return RULES[category]
