"""Demo concerns for the demo school: fictional cases in our own words, about generated people.

Every record is made through the services, so audit entries and alerts are created as in real
use. Loading is idempotent: each case is keyed by its text ("what happened"), the declaration
by member of staff and learner, the internet sanction by the sanctioned learner; a second load
adds nothing.

- an online-bullying concern reported by `teacher`, being looked into by the DSL, with
  chronology entries and a decision to tell the learner's parents;
- a closed case (harmful content) with its debrief, lessons learnt and a curriculum proposal;
- an allegation against a member of staff (a generated colleague, not a demo login),
  handled by the headteacher, with the LADO consulted (the clock stopped);
- a declaration by `teacher` with the DSL's recorded decision;
- "removal of internet access" for `learner-sanctioned`, enforced through the network policy
  (unless the network demo already set a sanction for that learner);
- an anonymous report from the public form.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from safesocial.concerns.categories import Category
from safesocial.concerns.models import (
    Concern,
    Declaration,
    Involvement,
    Measure,
    ParentCommunication,
    Referral,
)
from safesocial.concerns.services import (
    Involved,
    ProposalInput,
    chronology_add,
    concern_close,
    concern_report,
    decision_record,
    declaration_create,
    declaration_decide,
    measure_record,
    parent_communication_record,
    referral_record,
)
from safesocial.people.models import Person, School

BULLYING = (
    "Two pupils in my year 9 tutor group told me that a classmate is being mocked in a group "
    "chat. Edited photos of her are being shared with captions about her appearance, and she "
    "was removed from the class chat. She has been quiet and tearful in tutor time this week."
)
HARMFUL = (
    "During lunch a pupil showed others a violent video clip on his phone in the dining hall. "
    "Several year 8 pupils watched it and two were upset afterwards. The clip came from a "
    "video app's recommendations."
)
ALLEGATION = (
    "A year 9 learner told me that a member of staff has been sending her direct messages on "
    "a personal social media account in the evenings, and asked her not to tell anyone. She "
    "showed me one message on her phone."
)
DEVICE = (
    "A year 10 learner has again used a VPN on a school laptop to reach social media during "
    "lessons, after a warning last half-term. The network manager confirmed it from the logs."
)
PUBLIC = (
    "Someone left an unkind comment about a year 8 pupil, naming her, under the school's post "
    "about sports day. Other people have replied to it and it is still there."
)
DECLARATION = (
    "The learner's mother is my sister-in-law. We see the family most weekends and the "
    "learner sometimes messages my own children, who are in contact with me online."
)


def _login(school: School, username: str) -> Person | None:
    return Person.objects.filter(school=school, user__username=username).first()


def _by_mis(school: School, mis_id: str) -> Person | None:
    return Person.objects.for_school(school).filter(mis_id=mis_id).first()


def _exists(school: School, what: str) -> bool:
    return Concern.objects.for_school(school).filter(what=what).exists()


@transaction.atomic
def load_demo_data(*, school: School, today: dt.date) -> None:
    logins = ("headteacher", "dsl", "deputy-dsl", "teacher", "learner", "learner-sanctioned")
    found = {name: _login(school, name) for name in logins}
    people = {name: person for name, person in found.items() if person is not None}
    if len(people) < len(logins):
        return  # the demo logins come first (people.demo); nothing to attach cases to
    head, dsl, deputy, teacher = (
        people[n] for n in ("headteacher", "dsl", "deputy-dsl", "teacher")
    )
    learner, sanctioned = people["learner"], people["learner-sanctioned"]
    now = timezone.now()

    if not _exists(school, BULLYING):
        _bullying_case(school, teacher=teacher, dsl=dsl, learner=learner, now=now)
    if not _exists(school, HARMFUL):
        _closed_case(school, teacher=teacher, deputy=deputy, now=now)
    subject = _by_mis(school, "S0007")  # a generated colleague, not a demo login
    if subject is not None and not _exists(school, ALLEGATION):
        _allegation(school, teacher=teacher, head=head, subject=subject, now=now)
    _declaration(school, teacher=teacher, dsl=dsl)
    if not _exists(school, DEVICE):
        _internet_removal(school, teacher=teacher, dsl=dsl, learner=sanctioned, today=today)
    if not _exists(school, PUBLIC):
        concern_report(
            school=school,
            category=Category.OFFICIAL_CHANNEL,
            what=PUBLIC,
            where="The school's social media page",
            reporter_kind=Concern.ReporterKind.ANONYMOUS,
        )


def _bullying_case(
    school: School, *, teacher: Person, dsl: Person, learner: Person, now: dt.datetime
) -> None:
    involved = [Involved(Involvement.Part.AFFECTED, person=learner)]
    other = _by_mis(school, "L00230")  # a generated year 9 classmate
    if other is not None:
        involved.append(Involved(Involvement.Part.SUBJECT, person=other))
    concern = concern_report(
        school=school,
        category=Category.BULLYING,
        what=BULLYING,
        occurred_on=timezone.localdate() - dt.timedelta(days=2),
        where="A class group chat",
        reporter_kind=Concern.ReporterKind.STAFF,
        reporter=teacher,
        involved=involved,
    )
    chronology_add(
        concern=concern,
        happened_at=now - dt.timedelta(days=1, hours=2),
        text="Form tutor passed on what the two pupils said and kept their written account.",
        backdate_reason="Told in person at the end of the day; written up the next morning.",
        actor=dsl,
    )
    chronology_add(
        concern=concern,
        happened_at=now - dt.timedelta(minutes=20),
        text=(
            "Met the pupil with her head of year. She confirmed the messages and showed "
            "screenshots, which she agreed we could keep. She wants it to stop, not a fuss."
        ),
        actor=dsl,
    )
    chronology_add(
        concern=concern,
        happened_at=now - dt.timedelta(minutes=5),
        text="Arranged to speak with the pupil who started the chat, with a second adult present.",
        actor=dsl,
    )
    decision_record(
        concern=concern,
        decision="Tell the pupil's parents today; speak with the other pupil's parents after "
        "we have spoken with him.",
        reasons="She is upset and her parents can support her at home; there is no sign that "
        "telling them would put her at risk.",
        actor=dsl,
    )
    parent_communication_record(
        concern=concern,
        informed=True,
        informed_at=now,
        method=ParentCommunication.Method.PHONE,
        actor=dsl,
    )


def _closed_case(school: School, *, teacher: Person, deputy: Person, now: dt.datetime) -> None:
    concern = concern_report(
        school=school,
        category=Category.HARMFUL_CONTENT,
        what=HARMFUL,
        occurred_on=timezone.localdate() - dt.timedelta(days=1),
        where="Dining hall, from a phone",
        reporter_kind=Concern.ReporterKind.STAFF,
        reporter=teacher,
    )
    chronology_add(
        concern=concern,
        happened_at=now - dt.timedelta(minutes=25),
        text="Spoke with the pupil who showed the clip; he deleted it and understood why.",
        actor=deputy,
    )
    chronology_add(
        concern=concern,
        happened_at=now - dt.timedelta(minutes=10),
        text="Checked in with the two pupils who were upset; both are fine and know whom to ask.",
        actor=deputy,
    )
    decision_record(
        concern=concern,
        decision="A behaviour point, and a letter home to the families of the pupils involved.",
        reasons="A first incident, no intent to upset; the families can help with settings at "
        "home.",
        actor=deputy,
    )
    parent_communication_record(
        concern=concern,
        informed=True,
        informed_at=now,
        method=ParentCommunication.Method.LETTER,
        actor=deputy,
    )
    concern_close(
        concern=concern,
        what_happened="A pupil showed a violent clip from an app's recommendations; it was "
        "deleted the same day and the pupils who saw it were supported.",
        lessons="Year 8 pupils did not know how to reset their recommendations or report a "
        "video. Lunchtime staff were unsure whether to take the phone.",
        proposals=[
            ProposalInput(
                kind="curriculum",
                text="Add a year 8 lesson on recommendation feeds and reporting content.",
                becomes="action_item",
            )
        ],
        outcome=Concern.Outcome.SUBSTANTIATED,
        actor=deputy,
    )


def _allegation(
    school: School,
    *,
    teacher: Person,
    head: Person,
    subject: Person,
    now: dt.datetime,
) -> None:
    concern = concern_report(
        school=school,
        category=Category.ALLEGATION,
        what=ALLEGATION,
        occurred_on=timezone.localdate() - dt.timedelta(days=3),
        where="A social media app, personal account",
        reporter_kind=Concern.ReporterKind.STAFF,
        reporter=teacher,
        subject_staff=subject,
    )
    chronology_add(
        concern=concern,
        happened_at=now - dt.timedelta(minutes=15),
        text="Read the teacher's account. Did not speak to the member of staff, as advised.",
        actor=head,
    )
    referral_record(
        concern=concern,
        agency=Referral.Agency.LADO,
        contacted_on=timezone.localdate(),
        agency_reference="LADO-DEMO-0412",
        advice="The threshold is met. The school is not to investigate or tell the member of "
        "staff yet; the LADO will arrange a strategy discussion.",
        actor=head,
    )
    decision_record(
        concern=concern,
        decision="The member of staff has no contact with the learner until the strategy "
        "discussion; the DSL supports the learner.",
        reasons="On the LADO's advice, to keep the learner safe while the facts are found.",
        actor=head,
    )


def _declaration(school: School, *, teacher: Person, dsl: Person) -> None:
    learner = _by_mis(school, "L00012")  # a generated year 7 learner
    if learner is None:
        return
    existing = Declaration.objects.for_school(school).filter(staff=teacher, learner=learner)
    if existing.exists():
        return
    declaration = declaration_create(staff=teacher, learner=learner, relationship=DECLARATION)
    declaration_decide(
        declaration=declaration,
        discussion="Talked it through with the teacher and the headteacher. Family contact is "
        "normal and expected; the risk is messages about school on personal accounts.",
        decision="Family contact continues as usual. The teacher does not discuss school "
        "matters with the learner online and is kept off the learner's cases.",
        advice="Pass any school matter raised by the learner to the form tutor.",
        review_on=timezone.localdate() + dt.timedelta(days=365),
        actor=dsl,
    )


def _internet_removal(
    school: School, *, teacher: Person, dsl: Person, learner: Person, today: dt.date
) -> None:
    concern = concern_report(
        school=school,
        category=Category.DEVICE_MISUSE,
        what=DEVICE,
        where="Computing room",
        reporter_kind=Concern.ReporterKind.STAFF,
        reporter=teacher,
        involved=[Involved(Involvement.Part.SUBJECT, person=learner)],
    )
    zone = ZoneInfo(settings.TIME_ZONE)
    # The same times as the network demo's sanction (safesocial/netpolicy/demo.py).
    starts = dt.datetime.combine(today - dt.timedelta(days=1), dt.time(8, 0), zone)
    ends = dt.datetime.combine(today + dt.timedelta(days=13), dt.time(16, 0), zone)
    measure_record(
        concern=concern,
        person=learner,
        kind=Measure.Kind.INTERNET_REMOVAL,
        starts_at=starts,
        ends_at=ends,
        notes="Two weeks, as set out in the acceptable use policy for a repeated breach.",
        actor=dsl,
    )
    # measure_record hands the removal to the network policy (a netpolicy Sanction).
