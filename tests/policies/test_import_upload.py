"""The upload page for admins and leads: upload → background import → batch page (progress, summary, errors)."""

from __future__ import annotations

from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from policies.importer.batches import run_import_batch
from policies.importer.columns import SHEET_ORDER, SHEETS
from policies.models import ImportBatch, Policy
from tests.factories import make_branch
from tests.policies.workbooks import lead_sheets, rezip, standard_sheets, write_workbook

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(path, name: str | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes(), content_type=XLSX)


@pytest.fixture
def admin(staff_by_role):
    return staff_by_role["admin"].user


@pytest.fixture
def lead(staff_by_role):
    return staff_by_role["lead"].user  # lead of BJ01 (the `branch` fixture)


def post_workbook(client, django_capture_on_commit_callbacks, path, **data):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("policies:import"), {"file": upload(path), **data})


# --- who may --------------------------------------------------------------------------------------


def test_the_pages_need_a_login(client):
    for url in (reverse("policies:import"), reverse("policies:import_template")):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("role", ["specialist", "seller", "manager", "finance"])
def test_other_roles_may_not_import(client, staff_by_role, role):
    client.force_login(staff_by_role[role].user)
    assert client.get(reverse("policies:import")).status_code == 403
    assert client.get(reverse("policies:import_template")).status_code == 403


def test_the_upload_form_carries_a_csrf_token_and_csrf_is_enforced(admin, tmp_path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    page = client.get(reverse("policies:import")).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'enctype="multipart/form-data"' in page
    assert "下载空白模板" in page

    book = write_workbook(tmp_path / "good.xlsx", standard_sheets())
    response = client.post(reverse("policies:import"), {"file": upload(book)})
    assert response.status_code == 403
    assert not ImportBatch.objects.exists()


# --- the flow ------------------------------------------------------------------------------------------


def test_an_admin_uploads_a_workbook_and_sees_the_summary(
    client, admin, tmp_path, settings, django_capture_on_commit_callbacks
):
    client.force_login(admin)
    book = write_workbook(tmp_path / "门店数据.xlsx", standard_sheets())

    response = post_workbook(client, django_capture_on_commit_callbacks, book)

    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("policies:import_batch", args=[batch.pk])
    assert batch.state == ImportBatch.State.DONE
    assert (batch.original_name, batch.uploaded_by, batch.dry_run) == ("门店数据.xlsx", admin, False)
    assert len(batch.sha256) == 64 and batch.finished_at is not None
    assert not batch.file  # the upload held full phones and IDs: deleted once read
    assert not any((settings.MEDIA_ROOT / "imports").rglob("*.xlsx"))
    assert batch.summary["counts"]["保单"] == {"created": 4, "updated": 0, "unchanged": 0}
    assert Policy.objects.count() == 4

    page = client.get(response["Location"]).content.decode()
    assert "导入完成，数据已写入。" in page
    assert 'id="import-summary"' in page
    assert "every 2s" not in page  # finished: no more polling
    listing = client.get(reverse("policies:import")).content.decode()
    assert "门店数据.xlsx" in listing and "已导入" in listing


def test_a_dry_run_upload_checks_without_writing(client, admin, tmp_path, django_capture_on_commit_callbacks):
    client.force_login(admin)
    book = write_workbook(tmp_path / "check.xlsx", standard_sheets())

    post_workbook(client, django_capture_on_commit_callbacks, book, dry_run="on")

    batch = ImportBatch.objects.get()
    assert batch.state == ImportBatch.State.CHECKED
    assert batch.summary["counts"]["保单"]["created"] == 4
    assert Policy.objects.count() == 0
    page = client.get(reverse("policies:import_batch", args=[batch.pk])).content.decode()
    assert "校验通过，未写入（只校验）" in page


def test_a_refused_workbook_shows_every_error_in_a_table(client, admin, tmp_path, django_capture_on_commit_callbacks):
    client.force_login(admin)
    sheets = standard_sheets()
    sheets["保单"][1]["车架号"] = "LVSFCFME47F107967"
    sheets["保单"][3]["联系电话"] = "12812345678"
    book = write_workbook(tmp_path / "bad.xlsx", sheets)

    response = post_workbook(client, django_capture_on_commit_callbacks, book)

    batch = ImportBatch.objects.get()
    assert batch.state == ImportBatch.State.REFUSED
    assert [(e["sheet"], e["row"], e["column"]) for e in batch.errors] == [
        ("保单", 3, "车架号"),
        ("保单", 5, "联系电话"),
    ]
    assert Policy.objects.count() == 0
    page = client.get(response["Location"]).content.decode()
    assert "发现 2 个错误，未写入任何数据" in page
    assert 'id="import-errors"' in page
    assert '<td>保单</td><td class="num">3</td><td>车架号</td>' in page
    assert "校验位（第 9 位）应为 3" in page
    assert "128****5678" in page and "12812345678" not in page


def test_the_batch_page_polls_every_two_seconds_while_the_import_runs(client, admin):
    client.force_login(admin)
    batch = ImportBatch.objects.create(
        original_name="big.xlsx", sha256="0" * 64, uploaded_by=admin, state=ImportBatch.State.RUNNING,
        progress="正在校验“保单”第 5000 行",
    )  # fmt: skip
    url = reverse("policies:import_batch", args=[batch.pk])

    page = client.get(url).content.decode()
    assert 'hx-trigger="every 2s"' in page
    assert "<html" in page

    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment
    assert 'hx-trigger="every 2s"' in fragment
    assert "正在校验“保单”第 5000 行" in fragment

    ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.DONE, summary={"counts": {}})
    done = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "every 2s" not in done
    assert "导入完成" in done


@pytest.mark.parametrize(
    ("name", "build", "message"),
    [
        ("macro.xlsm", None, "启用宏"),
        ("macro.xlsx", {"xl/vbaProject.bin": b"\x00"}, "含有宏"),
        ("bomb.xlsx", {"xl/media/zeros.bin": b"\x00" * (5 * 1024 * 1024)}, "压缩炸弹"),
        ("notes.xlsx", "text", "无法按 zip 格式读取"),
    ],
)
def test_unsafe_files_are_refused_on_the_form_before_any_import(client, admin, tmp_path, name, build, message):
    client.force_login(admin)
    book = write_workbook(tmp_path / "good.xlsx", standard_sheets())
    if build == "text":
        path = tmp_path / name
        path.write_text("不是工作簿")
    elif build:
        path = rezip(book, tmp_path / name, extra=build)
    else:
        path = book

    response = client.post(reverse("policies:import"), {"file": upload(path, name)})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_a_too_large_upload_is_refused_on_the_form(client, admin, tmp_path, settings):
    client.force_login(admin)
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024
    book = write_workbook(tmp_path / "good.xlsx", standard_sheets())

    response = client.post(reverse("policies:import"), {"file": upload(book)})

    assert response.status_code == 400
    assert "文件太大" in response.content.decode()
    assert not ImportBatch.objects.exists()


# --- leads -----------------------------------------------------------------------------------------------


def test_a_lead_imports_their_own_branch(client, lead, tmp_path, django_capture_on_commit_callbacks):
    client.force_login(lead)
    page = client.get(reverse("policies:import")).content.decode()
    assert "您只能导入本门店（BJ01）的数据" in page

    own = write_workbook(tmp_path / "own.xlsx", lead_sheets())
    post_workbook(client, django_capture_on_commit_callbacks, own)

    assert ImportBatch.objects.get().state == ImportBatch.State.DONE
    assert Policy.objects.filter(branch__code="BJ01").count() == 4


def test_a_lead_importing_another_branch_is_refused(client, lead, tmp_path, django_capture_on_commit_callbacks):
    make_branch("TJ01", name="天津店")
    client.force_login(lead)
    sheets = lead_sheets()
    sheets["保单"][2]["门店编码"] = sheets["保单"][3]["门店编码"] = "TJ01"

    response = post_workbook(client, django_capture_on_commit_callbacks, write_workbook(tmp_path / "x.xlsx", sheets))

    batch = ImportBatch.objects.get()
    assert batch.state == ImportBatch.State.REFUSED
    assert [(e["row"], e["column"], e["message"]) for e in batch.errors] == [
        (4, "门店编码", "您只能导入本门店的数据"), (5, "门店编码", "您只能导入本门店的数据"),
    ]  # fmt: skip
    assert Policy.objects.count() == 0
    assert "您只能导入本门店的数据" in client.get(response["Location"]).content.decode()


def test_a_lead_sees_only_their_own_batches(client, lead, admin):
    other = ImportBatch.objects.create(original_name="admin.xlsx", sha256="1" * 64, uploaded_by=admin)
    own = ImportBatch.objects.create(original_name="mine.xlsx", sha256="2" * 64, uploaded_by=lead)
    client.force_login(lead)

    assert client.get(reverse("policies:import_batch", args=[other.pk])).status_code == 404
    assert client.get(reverse("policies:import_batch", args=[own.pk])).status_code == 200
    listing = client.get(reverse("policies:import")).content.decode()
    assert "mine.xlsx" in listing and "admin.xlsx" not in listing


def test_a_lead_without_a_branch_of_their_own_cannot_upload(client, django_user_model):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username="lonely", password="long-enough-pass")
    user.groups.add(Group.objects.get_or_create(name="lead")[0])
    client.force_login(user)
    assert client.get(reverse("policies:import")).status_code == 403


# --- the task ------------------------------------------------------------------------------------------


def test_the_task_runs_a_batch_once_even_when_redelivered(admin, tmp_path, settings):
    book = write_workbook(tmp_path / "good.xlsx", standard_sheets())
    from policies.importer.batches import create_import_batch

    batch = create_import_batch(upload=upload(book), user=admin, dry_run=False)  # queued, not yet run (on commit)
    run_import_batch(batch_id=batch.pk)
    finished = ImportBatch.objects.get(pk=batch.pk)
    assert finished.state == ImportBatch.State.DONE

    run_import_batch(batch_id=batch.pk)  # a redelivery finds it no longer queued

    assert ImportBatch.objects.get(pk=batch.pk).finished_at == finished.finished_at
    assert Policy.objects.count() == 4


def test_a_batch_whose_uploader_lost_the_right_is_refused(staff_by_role, tmp_path):
    book = write_workbook(tmp_path / "good.xlsx", standard_sheets())
    seller = staff_by_role["seller"].user
    from policies.importer.batches import create_import_batch

    batch = create_import_batch(upload=upload(book), user=seller, dry_run=False)
    run_import_batch(batch_id=batch.pk)

    batch.refresh_from_db()
    assert batch.state == ImportBatch.State.REFUSED
    assert batch.errors[0]["message"] == "上传人已无导入权限，未导入。"
    assert Policy.objects.count() == 0


# --- the blank template ----------------------------------------------------------------------------------


def test_the_blank_template_has_every_sheet_and_header_and_an_instructions_sheet(client, admin):
    client.force_login(admin)

    response = client.get(reverse("policies:import_template"))

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert workbook.sheetnames == ["说明", *SHEET_ORDER]
    for name in SHEET_ORDER:
        header = next(workbook[name].iter_rows(values_only=True))
        assert list(header) == [column.name for column in SHEETS[name].columns]
    explained = {row[:2] for row in workbook["说明"].iter_rows(values_only=True) if len(row) > 1}
    assert all((name, column.name) in explained for name in SHEET_ORDER for column in SHEETS[name].columns)


def test_the_blank_template_imports_cleanly(client, admin, tmp_path):
    from policies.importer import import_workbook

    client.force_login(admin)
    path = tmp_path / "template.xlsx"
    path.write_bytes(b"".join(client.get(reverse("policies:import_template")).streaming_content))

    report = import_workbook(path)

    assert report.ok and report.warnings == []
    assert Policy.objects.count() == 0


def test_a_lead_can_download_the_template(client, lead):
    client.force_login(lead)
    assert client.get(reverse("policies:import_template")).status_code == 200
