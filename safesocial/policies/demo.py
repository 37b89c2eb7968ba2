"""Demo records: the model social media policy (our own words) and stubs of its linked
policies, each current and signed by the demo headteacher and chair. Loading twice adds nothing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.db import transaction

from safesocial.people.models import Person, School
from safesocial.policies.models import (
    Policy,
    PolicyKind,
    PolicyVersion,
    TrainingRecord,
)
from safesocial.policies.services import (
    acknowledgement_record,
    policy_register_setup,
    training_record,
    version_draft,
    version_sign,
)

MODEL_POLICY = Path(__file__).parent / "data" / "model-social-media-policy.md"
# The school's own numbering scheme for its policies (made up for the demo).
POLICY_NUMBERS: dict[str, str] = {
    kind: f"HA-{index:03d}" for index, (kind, _) in enumerate(PolicyKind.choices, start=1)
}
OWNERS: dict[str, str] = {
    PolicyKind.CHILD_PROTECTION: "dsl",
    PolicyKind.ONLINE_SAFETY: "dsl",
    PolicyKind.MOBILE_TECHNOLOGY: "network-manager",
    PolicyKind.DATA_SECURITY: "network-manager",
    PolicyKind.IMAGE_USE: "channel-manager",
}


def model_policy_text() -> str:
    return MODEL_POLICY.read_text(encoding="utf-8")


def stub_text(title: str) -> str:
    """A short placeholder in the required structure, for a school to replace with its own."""
    return (
        f"# {title}\n\n"
        "## 1 Purpose\n"
        f"1(1) This is a placeholder for the school's {title.lower()}. "
        "Replace it with the school's own text and have it signed.\n\n"
        "## 2 Related policies\n"
        "2(1) It works together with the social media policy and the child protection policy.\n"
    )


def _login(school: School, username: str) -> Person | None:
    return Person.objects.filter(school=school, user__username=username).first()


@transaction.atomic
def load_demo_data(*, school: School, today: dt.date) -> None:
    policy_register_setup(school=school)
    headteacher = _login(school, "headteacher")
    chair = _login(school, "chair")
    for policy in Policy.objects.for_school(school):
        owner = _login(school, OWNERS.get(policy.kind, "headteacher"))
        number = POLICY_NUMBERS[policy.kind]
        if policy.owner_id is None or policy.number != number:
            policy.owner = owner
            policy.number = number
            policy.save(update_fields=["owner", "number"])
        if policy.current_version_id is not None or headteacher is None or chair is None:
            continue
        draft = policy.versions.filter(status=PolicyVersion.Status.DRAFT).first()
        if draft is None:
            body = (
                model_policy_text()
                if policy.kind == PolicyKind.SOCIAL_MEDIA
                else stub_text(policy.title)
            )
            draft = version_draft(policy=policy, body=body, actor=None, change_note="First issue")
        for signer in (headteacher, chair):
            if not draft.sign_offs.filter(person=signer).exists():
                version_sign(version=draft, person=signer, verified=True)
    _load_staff_records(school, today)


def _load_staff_records(school: School, today: dt.date) -> None:
    teacher = _login(school, "teacher")
    if teacher is None:
        return
    # The demo teacher has accepted the social media policy and done their induction; the
    # acceptable use policy and the code of conduct are still to do, to show the reminders.
    policy = Policy.objects.for_school(school).filter(kind=PolicyKind.SOCIAL_MEDIA).first()
    if policy is not None and policy.current_version is not None:
        acknowledgement_record(person=teacher, version=policy.current_version)
    if not TrainingRecord.objects.filter(person=teacher).exists():
        training_record(
            person=teacher,
            kind=TrainingRecord.Kind.INDUCTION,
            completed_on=today - dt.timedelta(days=30),
            actor=None,
        )
