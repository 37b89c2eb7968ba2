"""Who may do what, stated as data.

A person's roles are their community role (from their kind: staff, learner, parent...) plus
any current role assignments (headteacher, DSL...). Each role grants capabilities; a capability
is a dotted name asked for by views and commands through `safesocial.access.require`.
"""

from __future__ import annotations

from safesocial.people.models import Person, Role

# Community roles come from what a person is; they are not assigned.
STAFF = "staff"
VOLUNTEER = "volunteer"
LEARNER = "learner"
PARENT = "parent"
TRUSTEE = "trustee"

COMMUNITY_ROLE_OF_KIND: dict[str, str] = {
    Person.Kind.TEACHING_STAFF: STAFF,
    Person.Kind.SUPPORT_STAFF: STAFF,
    Person.Kind.VOLUNTEER: VOLUNTEER,
    Person.Kind.LEARNER: LEARNER,
    Person.Kind.PARENT: PARENT,
    Person.Kind.TRUSTEE: TRUSTEE,
}

# Every capability, with what it lets a person do. A view asking for a name not listed here
# is a programming error, caught by the test suite.
CAPABILITIES: dict[str, str] = {
    "school.view": "See the school's signed-in home page",
    "people.view": "See the list of people and their roles",
    "people.import": "Import people from the MIS",
    "people.manage_roles": "Assign and end roles",
    "accounts.manage": "Disable accounts and end their sessions",
    "audit.view": "Read the audit trail and export its chain hash",
    "concerns.report": "Report a concern",
    "concerns.view_own": "See the concerns one reported",
    "concerns.view_all": "See every concern one is not kept off",
    "concerns.triage": "Triage, investigate and close concerns",
    "concerns.allegations": "Handle allegations against staff",
    "declarations.manage": "Record decisions on declared relationships",
    "declarations.declare": "Declare a relationship with a learner or their family",
    "concerns.cases": "Open the case pages of the concerns one may see",
    "concerns.retention": "Decide on concern records due for retention review",
    "policies.view": "Read the school's policies",
    "policies.edit": "Draft and edit policies",
    "policies.sign": "Sign a policy version off",
    "policies.review": "Record formal reviews",
    "policies.actions": "See and update the school's action plan",
    "policies.staff_records": "See and record staff acknowledgements and training",
    "channels.draft_post": "Draft posts for an official channel",
    "channels.approve_post": "Review and approve a colleague's post",
    "channels.manage": "Manage the channel register",
    "channels.approve_channel": "Approve a channel's risk assessment",
    "consents.manage": "Record and withdraw image consent",
    "channels.moderate": (
        "Log comments and messages on official channels for moderation, and see take-down tasks"
    ),
    "learner_accounts.manage": (
        "Register accounts the school creates for learners (checked against minimum ages)"
    ),
    "netpolicy.view": "See the network rules",
    "netpolicy.edit": "Edit the network rules",
    "netpolicy.sanction": "Remove a person's internet access as a sanction, and give it back",
    "netpolicy.sign_as_dsl": "Sign a remote-learning platform's risk assessment as the DSL",
    "netpolicy.sign_as_headteacher": (
        "Sign a remote-learning platform's risk assessment as the headteacher"
    ),
    "monitoring.view": "See monitoring reports",
    "monitoring.act": "Turn monitoring findings into action-plan items",
    "reviews.view": "See the compliance map and the annual review pack",
    "reviews.trust": "See the headline review figures of every school of one's organisation",
    "office.requests": "Handle requests for policy copies",
}

_ALL_STAFF = frozenset(
    {
        "school.view",
        "concerns.report",
        "concerns.view_own",
        "policies.view",
        "declarations.declare",
    }
)
_LEADERSHIP = _ALL_STAFF | {
    "people.view",
    "concerns.view_all",
    "concerns.cases",
    "monitoring.view",
    "reviews.view",
    "netpolicy.view",
    "channels.approve_post",
    "channels.moderate",
}
_SAFEGUARDING = _LEADERSHIP | {
    "concerns.triage",
    "declarations.manage",
    "consents.manage",
    "people.import",
    "learner_accounts.manage",
}

ROLE_CAPABILITIES: dict[str, frozenset[str]] = {
    STAFF: _ALL_STAFF | {"channels.approve_post"},
    VOLUNTEER: _ALL_STAFF,
    LEARNER: frozenset({"school.view", "concerns.report", "concerns.view_own", "policies.view"}),
    PARENT: frozenset({"school.view", "concerns.report", "concerns.view_own", "policies.view"}),
    TRUSTEE: frozenset({"school.view", "policies.view", "reviews.view"}),
    Role.HEADTEACHER: _SAFEGUARDING
    | {
        "reviews.trust",
        "concerns.allegations",
        "policies.edit",
        "policies.sign",
        "policies.review",
        "policies.actions",
        "policies.staff_records",
        "channels.manage",
        "channels.approve_channel",
        "channels.draft_post",
        "people.manage_roles",
        "accounts.manage",
        "audit.view",
        "netpolicy.edit",
        "netpolicy.sanction",
        "netpolicy.sign_as_headteacher",
        "monitoring.act",
    },
    Role.DSL: _SAFEGUARDING
    | {"policies.actions", "policies.staff_records"}
    | {"policies.edit", "audit.view", "netpolicy.sanction", "netpolicy.sign_as_dsl"}
    | {"concerns.retention", "monitoring.act"},
    Role.DEPUTY_DSL: _SAFEGUARDING | {"netpolicy.sanction"},
    # Clause 5: leadership staff hold the logins and manage the accounts, so they may draft
    # too, on the channels they are made managers of (the object check in channels).
    Role.LEADERSHIP: _LEADERSHIP | {"channels.manage", "channels.draft_post"},
    Role.CHAIR_OF_TRUSTEES: frozenset(
        {
            "school.view",
            "policies.view",
            "policies.sign",
            "policies.review",
            "policies.actions",
            "reviews.view",
            "reviews.trust",
            "concerns.allegations",
            "concerns.cases",
        }
    ),
    Role.SAFEGUARDING_TRUSTEE: frozenset(
        {"school.view", "policies.view", "policies.review", "policies.actions", "reviews.view"}
    ),
    Role.NETWORK_MANAGER: _ALL_STAFF
    | {"netpolicy.view", "netpolicy.edit", "monitoring.view", "learner_accounts.manage"},
    Role.CHANNEL_MANAGER: _ALL_STAFF
    | {"channels.draft_post", "channels.approve_post", "channels.moderate"},
    Role.SCHOOL_OFFICE: _ALL_STAFF
    | {"office.requests", "people.view", "people.import", "policies.staff_records"},
}

# Holders of these roles must sign in with a second factor before any capability below.
TWO_FACTOR_ROLES: frozenset[str] = frozenset(
    {
        Role.HEADTEACHER,
        Role.DSL,
        Role.DEPUTY_DSL,
        Role.LEADERSHIP,
        Role.CHAIR_OF_TRUSTEES,
        Role.SAFEGUARDING_TRUSTEE,
        Role.SCHOOL_OFFICE,  # reads and imports the whole school's personal data
        TRUSTEE,
    }
)
# Safeguarding records, sign-offs and anything that reads personal data in bulk.
TWO_FACTOR_CAPABILITIES: frozenset[str] = frozenset(
    {
        "people.view",
        "people.import",
        "people.manage_roles",
        "accounts.manage",
        "audit.view",
        "concerns.view_all",
        "concerns.triage",
        "concerns.allegations",
        "concerns.cases",
        "concerns.retention",
        "declarations.manage",
        "consents.manage",
        "learner_accounts.manage",
        "channels.moderate",
        "policies.sign",
        "policies.review",
        "policies.actions",
        "policies.staff_records",
        "reviews.view",
        "reviews.trust",
        "monitoring.view",
        "monitoring.act",
        "channels.approve_channel",
        "netpolicy.sanction",
        "netpolicy.sign_as_dsl",
        "netpolicy.sign_as_headteacher",
    }
)
