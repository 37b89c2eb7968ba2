from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from safesocial.people.models import Person
from tests.conftest import Cast

STAFF = "mis_id,first_name,last_name,staff_type\nS1,Ada,Kestrel,teaching\nS2,Bo,Lindqvist,support\n"


def office_client(cast: Cast) -> Client:
    client = Client()
    client.force_login(cast["office"])
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=cast["office"]).persistent_id
    session.save()
    return client


def upload(client: Client, text: str, **fields: str) -> object:
    data = {"file": SimpleUploadedFile("staff.csv", text.encode(), "text/csv"), **fields}
    return client.post("/s/test/people/import/", data)


def test_check_first_then_import(cast: Cast) -> None:
    client = office_client(cast)
    before = Person.objects.count()
    preview = upload(client, STAFF)
    assert preview.status_code == 200  # type: ignore[attr-defined]
    assert "2 to add" in preview.content.decode()  # type: ignore[attr-defined]
    assert Person.objects.count() == before
    done = upload(client, STAFF, apply="on")
    assert done.status_code == 302  # type: ignore[attr-defined]
    assert Person.objects.count() == before + 2


def test_a_bad_file_lists_every_line_and_imports_nothing(cast: Cast) -> None:
    client = office_client(cast)
    before = Person.objects.count()
    page = upload(client, STAFF + "S3,,X,teaching\nS4,Y,Z,chef\n", apply="on")
    body = page.content.decode()  # type: ignore[attr-defined]
    assert page.status_code == 400  # type: ignore[attr-defined]
    assert "Line 4: first_name is empty" in body and "Line 5: staff_type" in body
    assert Person.objects.count() == before


def test_a_file_that_is_not_utf8_is_refused_with_its_line(cast: Cast) -> None:
    client = office_client(cast)
    page = upload(client, "mis_id,first_name,last_name,staff_type\nS1,Zo\xeb,X,teaching\n")
    assert page.status_code == 200  # latin-1 'ë' written as UTF-8 here is fine
    raw = b"mis_id,first_name,last_name,staff_type\nS1,Zo\xeb,X,teaching\n"
    response = client.post(
        "/s/test/people/import/", {"file": SimpleUploadedFile("s.csv", raw, "text/csv")}
    )
    assert response.status_code == 400
    assert "line 2: the file is not UTF-8" in response.content.decode()
