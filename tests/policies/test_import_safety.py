"""Uploads are refused before openpyxl opens them: too large, not .xlsx, macro-enabled, not a zip, zip bombs."""

from __future__ import annotations

import io
import zipfile
from unittest import mock

import pytest
from django.apps import apps

from policies.importer import UnsafeWorkbook, check_workbook_file, import_workbook
from tests.policies.workbooks import rezip, standard_sheets, write_workbook

MACRO_CONTENT_TYPE = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"


@pytest.fixture
def good_book(tmp_path):
    return write_workbook(tmp_path / "good.xlsx", standard_sheets())


def refusal(source, **kwargs) -> str:
    with pytest.raises(UnsafeWorkbook) as refused:
        check_workbook_file(source, **kwargs)
    return refused.value.message


def never_opened():
    """Fails the test if openpyxl is asked to open anything."""
    return mock.patch("policies.importer.reading.load_workbook", side_effect=AssertionError("openpyxl opened it"))


def test_a_plain_xlsx_passes(good_book):
    check_workbook_file(good_book)
    with open(good_book, "rb") as handle:
        check_workbook_file(handle, name="客户数据.XLSX")
        assert handle.tell() == 0  # the stream is handed back rewound


def test_a_file_over_the_size_limit_is_refused(good_book, settings):
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024 * 1024
    assert refusal(good_book, size=5 * 1024 * 1024) == "文件太大（5.0 MB），上限为 1 MB；请拆分后分批导入。"
    settings.IMPORT_MAX_UPLOAD_BYTES = 1024
    assert refusal(good_book).startswith("文件太大")


def test_an_empty_file_is_refused(tmp_path):
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    assert refusal(empty) == "文件是空的。"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("data.xlsm", "启用宏"),
        ("data.xls", "旧版 Excel"),
        ("data.csv", "只接受 Excel 工作簿（.xlsx）"),
        ("data", "只接受 Excel 工作簿（.xlsx）"),
    ],
)
def test_other_extensions_are_refused_by_name(good_book, name, message):
    assert message in refusal(good_book, name=name)


def test_a_renamed_text_file_is_not_a_zip(tmp_path):
    fake = tmp_path / "fake.xlsx"
    fake.write_text("门店编码,门店名称\nBJ01,北京店\n", encoding="utf-8")
    assert "无法按 zip 格式读取" in refusal(fake)


def test_an_old_binary_excel_renamed_to_xlsx_is_refused(tmp_path):
    old = tmp_path / "old.xlsx"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512)
    assert "旧版 Excel（.xls）或加密" in refusal(old)


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    other = tmp_path / "other.xlsx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "缺少 [Content_Types].xml 或 xl/workbook.xml" in refusal(other)


def test_a_macro_project_inside_an_xlsx_is_refused(good_book, tmp_path):
    with_macro = rezip(good_book, tmp_path / "macro.xlsx", extra={"xl/vbaProject.bin": b"\x00" * 64})
    assert "含有宏" in refusal(with_macro)


def test_a_macro_enabled_content_type_is_refused(good_book, tmp_path):
    with zipfile.ZipFile(good_book) as archive:
        types = archive.read("[Content_Types].xml")
    patched = types.replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", MACRO_CONTENT_TYPE
    )
    assert patched != types
    xlsm = rezip(good_book, tmp_path / "renamed.xlsx", replace={"[Content_Types].xml": patched})
    assert "含有宏" in refusal(xlsm)


def test_a_zip_bomb_is_refused_by_its_compression_ratio(good_book, tmp_path):
    bomb = rezip(good_book, tmp_path / "bomb.xlsx", extra={"xl/media/padding.bin": b"\x00" * (5 * 1024 * 1024)})
    message = refusal(bomb)
    assert "压缩比异常" in message and "xl/media/padding.bin" in message


def test_a_zip_bomb_is_refused_by_its_total_declared_size(good_book, tmp_path, settings):
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 64 * 1024
    rng_bytes = bytes((i * 7919 + 13) % 251 for i in range(100_000))  # hardly compressible: ratio stays low
    big = rezip(good_book, tmp_path / "big.xlsx", extra={"xl/media/picture.bin": rng_bytes})
    assert "解压后过大" in refusal(big)


def test_an_in_memory_upload_is_checked_the_same_way(good_book):
    data = good_book.read_bytes()
    check_workbook_file(io.BytesIO(data), name="upload.xlsx")
    assert "无法按 zip 格式读取" in refusal(io.BytesIO(b"PK\x03\x04broken"), name="upload.xlsx")


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["macro", "bomb", "not-zip", "too-large"])
def test_the_importer_refuses_hostile_files_without_opening_them_or_writing(good_book, tmp_path, settings, case):
    if case == "macro":
        path = rezip(good_book, tmp_path / "m.xlsx", extra={"xl/vbaProject.bin": b"\x00" * 64})
    elif case == "bomb":
        path = rezip(good_book, tmp_path / "b.xlsx", extra={"xl/media/zeros.bin": b"\x00" * (5 * 1024 * 1024)})
    elif case == "not-zip":
        path = tmp_path / "n.xlsx"
        path.write_text("not a workbook")
    else:
        settings.IMPORT_MAX_UPLOAD_BYTES = 100
        path = good_book
    before = {model._meta.label: model.objects.count() for model in apps.get_models()}

    with never_opened():
        report = import_workbook(path)

    assert [(issue.sheet, issue.row, issue.column) for issue in report.errors] == [("文件", None, "")]
    assert {model._meta.label: model.objects.count() for model in apps.get_models()} == before
