"""Importing from the web: a dry run lists every bad row, then one click imports the file."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crossdock.masterdata.models import Partner
from tests.browser import client_for

IMPORT = reverse("web:record_import", args=["partners"])
HEADER = b"company,code,name,is_customer,currency,credit_limit\n"
GOOD = HEADER + b"ACME,IMP-1,Imported One,yes,EUR,100\nACME,IMP-2,Imported Two,yes,EUR,200.50\n"
BAD = (
    HEADER
    + b"ACME,IMP-1,Fine,yes,EUR,100\n"
    + b"ACME,IMP-2,Negative,yes,EUR,-1\n"
    + b"ACME,IMP-3,Bad currency,yes,XXX-NOPE,1\n"
)


def _upload(content, name="partners.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_dry_run_then_import(admin_client_web, company_a):
    response = admin_client_web.post(IMPORT, {"action": "dry-run", "file": _upload(GOOD)})
    assert response.status_code == 200
    result = response.context["result"]
    assert (result.ok, result.dry_run, result.created) == (True, True, 2)
    assert not Partner.objects.filter(code__startswith="IMP-").exists()
    token = response.context["staged"].token
    assert "Import 2 rows" in response.content.decode()

    response = admin_client_web.post(IMPORT, {"action": "confirm", "token": token})
    assert response.status_code == 302
    assert response["Location"] == reverse("web:record_list", args=["partners"])
    assert sorted(
        Partner.objects.filter(code__startswith="IMP-").values_list("code", flat=True)
    ) == [
        "IMP-1",
        "IMP-2",
    ]
    # The staged file is used once.
    again = admin_client_web.post(IMPORT, {"action": "confirm", "token": token}, follow=True)
    assert "no longer available" in again.content.decode()
    assert Partner.objects.filter(code__startswith="IMP-").count() == 2


def test_every_bad_row_is_listed_and_nothing_is_written(admin_client_web, company_a):
    response = admin_client_web.post(IMPORT, {"action": "import", "file": _upload(BAD)})
    assert response.status_code == 422
    result = response.context["result"]
    assert not result.ok
    rows = {error.row for error in result.errors}
    assert rows == {3, 4}
    body = response.content.decode()
    assert body.count('<tr><td class="cell-number">') == len(result.errors)
    assert response.context["staged"] is None
    assert not Partner.objects.filter(code__startswith="IMP-").exists()


def test_a_token_from_another_session_is_useless(admin_client_web, admin_user, company_a):
    response = admin_client_web.post(IMPORT, {"action": "dry-run", "file": _upload(GOOD)})
    token = response.context["staged"].token
    other = client_for(admin_user)
    other.post(IMPORT, {"action": "confirm", "token": token})
    assert not Partner.objects.filter(code__startswith="IMP-").exists()


def test_wrong_files_are_refused_on_the_form(admin_client_web, company_a):
    response = admin_client_web.post(IMPORT, {"action": "dry-run", "file": _upload(b"x", "a.pdf")})
    assert response.status_code == 422
    assert "Upload a .csv or .xlsx file." in response.content.decode()
    response = admin_client_web.post(
        IMPORT, {"action": "dry-run", "file": _upload(b"\x00\xff garbage", "a.xlsx")}
    )
    assert response.status_code in (200, 422)
    assert admin_client_web.post(IMPORT, {"action": "dry-run"}).status_code == 422


def test_import_needs_add_and_change_and_an_importable_type(sales_rep_a, admin_client_web):
    from crossdock.core.roles import Role
    from tests import factories

    clerk = factories.user(Role.AP_CLERK, companies=[])
    assert client_for(clerk).get(IMPORT).status_code == 403
    assert client_for(sales_rep_a).get(IMPORT).status_code == 200
    assert (
        admin_client_web.get(reverse("web:record_import", args=["currencies"])).status_code == 404
    )
