"""`python manage.py import_workbook FILE.xlsx [--dry-run]`: the operator's contract (DESIGN.md)."""

from __future__ import annotations

from io import StringIO
from unittest import mock

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from policies.management.commands.import_workbook import Command
from policies.models import Policy
from tests.policies.workbooks import rezip, standard_sheets, write_workbook

pytestmark = pytest.mark.django_db


def table_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def run(*args) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("import_workbook", *map(str, args), stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_a_good_workbook_imports_and_prints_a_summary_per_sheet(tmp_path):
    book = write_workbook(tmp_path / "good.xlsx", standard_sheets())

    out, err = run(book)

    assert err == ""
    assert "导入完成：good.xlsx" in out
    assert "门店: 新增 1，更新 0，未变 0" in out
    assert "员工: 新增 3，更新 0，未变 0" in out
    assert "保单: 新增 4，更新 0，未变 0" in out
    assert "保险期: 重建 2 个" in out
    assert Policy.objects.count() == 4

    again, _ = run(book)
    assert "保单: 新增 0，更新 0，未变 4" in again
    assert "员工: 新增 0，更新 0，未变 3" in again


def test_dry_run_validates_reports_and_writes_nothing(tmp_path):
    book = write_workbook(tmp_path / "good.xlsx", standard_sheets())
    before = table_counts()

    out, _ = run(book, "--dry-run")

    assert "校验通过（试运行，未写入）" in out
    assert "保单: 新增 4，更新 0，未变 0" in out
    assert table_counts() == before


def test_errors_go_to_stderr_one_line_each_exit_code_1_nothing_written(tmp_path):
    sheets = standard_sheets()
    sheets["保单"][1]["车架号"] = "LVSFCFME47F107967"
    sheets["保单"][2]["联系电话"] = "12812345678"
    sheets["员工"][0]["角色"] = "保安"
    book = write_workbook(tmp_path / "bad.xlsx", sheets)
    before = table_counts()
    stdout, stderr = StringIO(), StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("import_workbook", str(book), stdout=stdout, stderr=stderr)

    assert failed.value.returncode == 1
    assert "共 3 个错误" in str(failed.value)
    lines = stderr.getvalue().splitlines()
    assert lines == [
        "员工!第2行 角色: 未知角色“保安”"
        "（可填：续保专员、回访员、服务顾问、续保负责人、经理、副总经理、总经理、财务、管理员、事业部）",
        "保单!第3行 车架号: 车架号“LVSFCFME47F107967”的校验位（第 9 位）应为 3，实际为 4，请核对是否抄错",
        "保单!第4行 联系电话: 128****5678 不是有效的手机号",
    ]
    assert "12812345678" not in stderr.getvalue()
    assert table_counts() == before


def test_the_process_exits_1_from_the_command_line(tmp_path, capsys):
    sheets = standard_sheets()
    sheets["保单"][0]["保费"] = -5
    book = write_workbook(tmp_path / "bad.xlsx", sheets)

    # run_from_argv closes every connection when it ends, as a process would; the test's own must stay open
    with mock.patch.object(connections, "close_all"), pytest.raises(SystemExit) as exited:
        Command().run_from_argv(["manage.py", "import_workbook", str(book)])

    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "保单!第2行 保费: 金额不能为负数：-5" in err
    assert "未写入任何数据" in err
    assert Policy.objects.count() == 0


def test_a_refused_file_is_one_error_line(tmp_path):
    book = write_workbook(tmp_path / "good.xlsx", standard_sheets())
    macro = rezip(book, tmp_path / "macro.xlsx", extra={"xl/vbaProject.bin": b"\x00"})
    stderr = StringIO()

    with pytest.raises(CommandError):
        call_command("import_workbook", str(macro), stdout=StringIO(), stderr=stderr)

    assert stderr.getvalue().startswith("文件: 工作簿中含有宏")


def test_warnings_are_printed_and_do_not_stop_the_import(tmp_path):
    sheets = standard_sheets()
    sheets["保单"][0]["保费"] = 300000
    sheets["杂项"] = [["x"]]

    out, err = run(write_workbook(tmp_path / "warn.xlsx", sheets))

    assert err == ""
    assert "警告 保单!第2行 保费: 保费 300000.00 元超出常见范围" in out
    assert "警告 杂项: 未识别的工作表" in out
    assert "导入完成" in out


def test_a_missing_file_is_reported(tmp_path):
    with pytest.raises(CommandError, match="文件不存在"):
        run(tmp_path / "nope.xlsx")
