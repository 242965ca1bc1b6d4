"""The importer refuses bad workbooks whole: every error located by sheet, Excel row and column, nothing written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest
from django.apps import apps

from policies.importer import ImportScope, import_workbook
from policies.importer.scope import LEAD_GRANTABLE_ROLES, OWN_BRANCH_ONLY
from policies.importer.validate import BRANCHES_BY_ADMINS, SALARY_BY_ADMINS
from policies.models import Policy, Staff
from tests.factories import make_branch, make_staff
from tests.policies.workbooks import (
    VALID_ID,
    branch_row,
    excel_row,
    lead_sheets,
    make_id_number,
    policy_row,
    retained_row,
    rezip,
    satisfaction_row,
    staff_row,
    standard_sheets,
    target_row,
    vin,
    write_workbook,
)

pytestmark = pytest.mark.django_db

LEAD_OF_BJ01 = ImportScope(branch_code="BJ01", grantable_roles=LEAD_GRANTABLE_ROLES)


def table_counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in apps.get_models()}


def located(report) -> list[tuple[str, int | None, str]]:
    return [(issue.sheet, issue.row, issue.column) for issue in report.errors]


def import_with(tmp_path, sheet: str, index: int, **cells):
    """The standard workbook with `cells` overriding data row `index` of `sheet`."""
    sheets = standard_sheets()
    sheets.setdefault(sheet, [])
    sheets[sheet][index].update(cells)
    return import_workbook(write_workbook(tmp_path / "book.xlsx", sheets))


# --- every class of cell error, at its exact row and column ---------------------------------------

CELL_ERRORS = [
    # (sheet, data row, header, bad value, part of the message)
    ("保单", 1, "车架号", "LVSFCFME47F107967", "校验位（第 9 位）应为 3，实际为 4"),
    ("保单", 2, "车架号", 1.1e16, "丢失了精度"),
    ("保单", 0, "车架号", "LVSFCFME37F10796", "应为 17 位"),
    ("保单", 0, "车架号", "LVSFCFMEI7F107967", "不使用字母 I、O、Q"),
    ("保单", 3, "车牌号", "京A12O45", "不使用字母 I 和 O"),
    ("保单", 3, "车牌号", "京A1234", "应为 7 位"),
    ("保单", 3, "车牌号", "AB12345", "省份简称"),
    ("保单", 1, "联系电话", "12812345678", "不是有效的手机号"),
    ("保单", 0, "被保险人证件号", "110105194912310021", "校验位不正确"),
    ("保单", 0, "被保险人证件号", 1.10105194912310e17, "丢失了精度"),
    ("保单", 2, "终保日期", date(2024, 12, 31), "应晚于起保日期 2025-01-01"),
    ("保单", 2, "起保日期", "2025-02-30", "无法识别的日期"),
    ("保单", 0, "保费", -12, "不能为负数"),
    ("保单", 0, "保费", 100.123, "最多两位小数"),
    ("保单", 0, "保费", "一千", "无法识别的金额"),
    ("保单", 0, "险种", "意外险", "险种应为“交强险”或“商业险”"),
    ("保单", 0, "渠道", "网销", "渠道应为“到店”或“电销”"),
    ("保单", 0, "险别", "车损险,三者险(100)", "三者险保额无法识别"),
    ("保单", 0, "短信同意", "也许", "应填“是”或“否”"),
    ("保单", 0, "保单号", 1.2345e18, "丢失了精度"),
    ("保单", 0, "被保险人", None, "被保险人不能为空"),
    ("保单", 0, "保险公司", "", "保险公司不能为空"),
    ("保单", 0, "保费", None, "保费不能为空"),
    ("门店", 0, "提前投保天数", 400, "不能大于 366"),
    ("门店", 0, "续保启动日期", "明年", "无法识别的日期"),
    ("门店", 0, "免费洗车", "有", "应填“是”或“否”"),
    ("员工", 1, "角色", "保安", "未知角色“保安”"),
    ("员工", 1, "角色", None, "角色不能为空"),
    ("员工", 2, "基本工资", "abc", "无法识别的金额"),
    ("员工", 0, "组长", "x", "应填“是”或“否”"),
]


@pytest.mark.parametrize(("sheet", "index", "header", "value", "message"), CELL_ERRORS)
def test_a_bad_cell_is_refused_at_its_row_and_column(tmp_path, sheet, index, header, value, message):
    before = table_counts()

    report = import_with(tmp_path, sheet, index, **{header: value})

    assert located(report) == [(sheet, excel_row(index), header)], report.errors
    assert message in report.errors[0].message
    assert not report.written
    assert table_counts() == before


def test_other_sheets_cell_errors_are_located_too(tmp_path):
    sheets = standard_sheets()
    sheets["保有客户"] = [retained_row(50), retained_row(51, 联系电话="1380000"), retained_row(52, 最近返厂日期="昨天")]
    sheets["目标"] = [target_row(), target_row(工号=None, 客户类别=5), target_row(月份="2025-13", 工号="E1002")]
    sheets["满意度"] = [
        satisfaction_row(),
        satisfaction_row(团队="二组", 得分=120),
        satisfaction_row(团队="三组", 目标=None),
    ]

    report = import_workbook(write_workbook(tmp_path / "others.xlsx", sheets))

    assert located(report) == [
        ("保有客户", 3, "联系电话"),
        ("保有客户", 4, "最近返厂日期"),
        ("目标", 3, "客户类别"),
        ("目标", 4, "月份"),
        ("满意度", 3, "得分"),
        ("满意度", 4, "目标"),
    ]
    assert "不能大于 4" in report.errors[2].message
    assert "无法识别的月份" in report.errors[3].message
    assert "0–100" in report.errors[4].message
    assert report.errors[5].message == "目标不能为空"


def test_a_target_names_a_staff_member_or_a_customer_category_not_both(tmp_path):
    sheets = standard_sheets()
    sheets["目标"] = [target_row(客户类别=2), target_row(工号=None, 月份="2025-04")]
    report = import_workbook(write_workbook(tmp_path / "targets.xlsx", sheets))

    assert located(report) == [("目标", 2, "客户类别"), ("目标", 3, "工号")]


def test_phones_and_id_numbers_are_masked_in_error_messages(tmp_path):
    sheets = standard_sheets()
    sheets["保单"][0]["联系电话"] = "12812345678"
    sheets["保单"][1]["被保险人证件号"] = "110105194912310021"
    sheets["保单"][2]["被保险人证件号"] = make_id_number(birth="19991331")  # a right checksum, an impossible date
    report = import_workbook(write_workbook(tmp_path / "pii.xlsx", sheets))

    text = "\n".join(issue.line() for issue in report.errors)
    assert "128****5678" in text
    assert "出生日期" in text
    for secret in ("12812345678", "110105194912310021", make_id_number(birth="19991331"), "19991331", "19491231"):
        assert secret not in text


# --- many errors, all listed; nothing written -----------------------------------------------------------


def test_every_error_is_listed_and_nothing_is_written(tmp_path):
    rows = [policy_row(f"P{i:04d}", n=i + 1) for i in range(300)]
    rows[17]["车架号"] = "LVSFCFME47F107967"  # wrong check digit
    rows[42]["车牌号"] = "京A1I345"  # impossible plate
    rows[99]["联系电话"] = "23812345678"  # 11 digits, not a mobile
    rows[150]["终保日期"] = date(2024, 6, 30)  # before its start
    rows[299]["车架号"] = 1.1e16  # a VIN stored as a number
    sheets = {**standard_sheets(), "保单": rows}
    before = table_counts()

    report = import_workbook(write_workbook(tmp_path / "many.xlsx", sheets))

    assert located(report) == [
        ("保单", 19, "车架号"),
        ("保单", 44, "车牌号"),
        ("保单", 101, "联系电话"),
        ("保单", 152, "终保日期"),
        ("保单", 301, "车架号"),
    ]
    assert table_counts() == before

    # the corrected workbook imports; importing it again changes nothing
    rows[17]["车架号"], rows[42]["车牌号"], rows[99]["联系电话"] = vin(18), "京A00043", "13812345678"
    rows[150]["终保日期"], rows[299]["车架号"] = date(2025, 12, 31), vin(300)
    corrected = write_workbook(tmp_path / "corrected.xlsx", sheets)
    first = import_workbook(corrected)
    assert first.ok and first.counts["保单"].created == 300
    second = import_workbook(corrected)
    assert (second.counts["保单"].created, second.counts["保单"].updated, second.counts["保单"].unchanged) == (
        0,
        0,
        300,
    )


def test_errors_in_several_sheets_are_all_reported_in_sheet_order(tmp_path):
    sheets = standard_sheets()
    sheets["门店"][0]["门店名称"] = None
    sheets["员工"][2]["角色"] = "厨师"
    sheets["保单"][3]["保费"] = -1
    sheets["保单"][3]["险种"] = "寿险"
    report = import_workbook(write_workbook(tmp_path / "several.xlsx", sheets))

    assert located(report) == [("门店", 2, "门店名称"), ("员工", 4, "角色"), ("保单", 5, "险种"), ("保单", 5, "保费")]


def test_dry_run_reports_what_would_change_and_writes_nothing(tmp_path):
    book = write_workbook(tmp_path / "dry.xlsx", standard_sheets())
    before = table_counts()

    report = import_workbook(book, dry_run=True)

    assert report.ok and not report.written
    assert report.counts["保单"].created == 4 and report.counts["员工"].created == 3
    assert table_counts() == before


# --- headers and sheets ---------------------------------------------------------------------------------


def test_a_missing_required_column_is_one_error_on_the_header_row(tmp_path):
    sheets = standard_sheets()
    for row in sheets["保单"]:
        del row["终保日期"]
    report = import_workbook(write_workbook(tmp_path / "missing.xlsx", sheets))

    assert located(report) == [("保单", 1, "终保日期")]
    assert report.errors[0].message == "缺少必填列"


def test_two_columns_meaning_the_same_are_refused(tmp_path):
    sheets = standard_sheets()
    for row in sheets["保单"]:
        row["保险单号"] = row["保单号"]
    report = import_workbook(write_workbook(tmp_path / "twice.xlsx", sheets))

    assert located(report) == [("保单", 1, "保险单号")]
    assert "同一列" in report.errors[0].message


def test_unknown_sheets_and_columns_are_warnings_and_the_rest_imports(tmp_path):
    sheets = standard_sheets()
    sheets["备注"] = [["随便写点什么"]]
    for row in sheets["保单"]:
        row["业务员备注"] = "老客户"
    report = import_workbook(write_workbook(tmp_path / "extra.xlsx", sheets))

    assert report.ok and report.written
    assert [(w.sheet, w.row, w.column) for w in report.warnings] == [("保单", 1, "业务员备注"), ("备注", None, "")]
    assert "未识别的列" in report.warnings[0].message
    assert "未识别的工作表" in report.warnings[1].message
    assert Policy.objects.count() == 4


def test_a_workbook_without_any_known_sheet_is_an_error(tmp_path):
    report = import_workbook(write_workbook(tmp_path / "none.xlsx", {"Sheet1": [["a", "b"], [1, 2]]}))

    assert [(i.sheet, i.row) for i in report.errors] == [("文件", None)]
    assert "没有可导入的工作表" in report.errors[0].message


# --- warnings do not stop the import --------------------------------------------------------------------


def test_unusual_terms_premiums_and_foreign_check_digits_are_warnings(tmp_path):
    sheets = standard_sheets()
    sheets["保单"][0]["终保日期"] = date(2025, 6, 30)  # half a year
    sheets["保单"][1]["保费"] = 12  # unusually low
    sheets["保单"][2]["车架号"] = sheets["保单"][3]["车架号"] = (
        "WVWZZZ3CZ9E000001"  # European: no mandatory check digit
    )
    report = import_workbook(write_workbook(tmp_path / "warnings.xlsx", sheets))

    assert report.ok and report.written
    assert [(w.sheet, w.row, w.column) for w in report.warnings] == [
        ("保单", 2, "终保日期"), ("保单", 3, "保费"), ("保单", 4, "车架号"), ("保单", 5, "车架号"),
    ]  # fmt: skip
    assert "不是一年" in report.warnings[0].message
    assert "超出常见范围" in report.warnings[1].message
    assert "校验位" in report.warnings[2].message
    assert Policy.objects.filter(vehicle__vin="WVWZZZ3CZ9E000001").count() == 2


def test_a_one_year_term_ending_on_the_anniversary_is_not_warned_about(tmp_path):
    report = import_with(tmp_path, "保单", 0, 终保日期=date(2026, 1, 1))
    assert report.ok and report.warnings == []


# --- the same natural key twice in one workbook -----------------------------------------------------------


def test_the_same_natural_key_twice_in_one_workbook_is_an_error_on_the_later_row(tmp_path):
    sheets = standard_sheets()
    sheets["门店"].append(branch_row("BJ01"))
    sheets["员工"].append(staff_row("E1002"))
    sheets["保单"].append(policy_row("PDAA0002", n=5))
    sheets["保有客户"] = [retained_row(60), retained_row(61), retained_row(60, 客户="别人")]
    sheets["目标"] = [target_row(), target_row(目标台数=40)]
    sheets["满意度"] = [satisfaction_row(), satisfaction_row(得分=80)]

    report = import_workbook(write_workbook(tmp_path / "dupes.xlsx", sheets))

    assert located(report) == [
        ("门店", 3, "门店编码"),
        ("员工", 5, "工号"),
        ("保单", 6, "保单号"),
        ("保有客户", 4, "车架号"),
        ("目标", 3, "月份"),
        ("满意度", 3, "团队"),
    ]
    assert all("与第" in issue.message and "重复" in issue.message for issue in report.errors)
    assert "与第 4 行重复" in report.errors[2].message
    assert "与第 2 行重复" in report.errors[3].message


def test_a_repeated_policy_number_is_listed_after_its_rows_other_errors_and_before_the_next_rows(tmp_path):
    sheets = standard_sheets()
    sheets["保单"] += [
        policy_row("PDAA0001", n=3, 车牌号="京A12O45"),  # Excel row 6: a bad plate, and row 2's number
        policy_row("PDAA0003", n=4, 联系电话="12812345678"),  # row 7
        policy_row("PDAA0001", n=5),  # row 8: row 2's number again
    ]

    report = import_workbook(write_workbook(tmp_path / "dupes.xlsx", sheets))

    assert [(issue.row, issue.column) for issue in report.errors] == [
        (6, "车牌号"), (6, "保单号"), (7, "联系电话"), (8, "保单号"),
    ]  # fmt: skip
    assert report.errors[1].message == "保险公司“平安产险”的保单号“PDAA0001”与第 2 行重复"
    assert report.errors[3].message == "保险公司“平安产险”的保单号“PDAA0001”与第 2 行重复"


def test_a_policy_number_repeated_thousands_of_rows_later_is_reported_with_its_first_row(tmp_path):
    # given more rows than one 2,000-row chunk, the last repeating the first's number
    sheets = standard_sheets()
    sheets["保单"] = [policy_row(f"P{index:05d}", n=index // 2 + 1) for index in range(2100)]
    sheets["保单"].append(policy_row("P00000", n=1))

    report = import_workbook(write_workbook(tmp_path / "long.xlsx", sheets))

    assert [issue.line() for issue in report.errors] == [
        "保单!第2102行 保单号: 保险公司“平安产险”的保单号“P00000”与第 2 行重复"
    ]
    assert not Policy.objects.exists()


# --- references ---------------------------------------------------------------------------------------


def test_branch_codes_and_staff_numbers_must_exist_in_the_workbook_or_the_database(tmp_path):
    sheets = standard_sheets()
    sheets["员工"][0]["门店编码"] = "XX99"
    sheets["保单"][1]["回访员工号"] = "NOBODY"
    sheets["保单"][2]["门店编码"] = "ZZ01"
    sheets["目标"] = [target_row(工号="E404")]
    report = import_workbook(write_workbook(tmp_path / "refs.xlsx", sheets))

    assert located(report) == [
        ("员工", 2, "门店编码"),
        ("保单", 3, "回访员工号"),
        ("保单", 4, "门店编码"),
        ("目标", 2, "工号"),
    ]
    assert "门店编码“XX99”不存在" in report.errors[0].message
    assert "工号“NOBODY”不存在" in report.errors[1].message


def test_a_staff_target_must_belong_to_the_staff_members_branch(tmp_path):
    sheets = standard_sheets()
    sheets["门店"].append(branch_row("BJ02"))
    sheets["目标"] = [target_row(门店编码="BJ02", 工号="E1001")]
    report = import_workbook(write_workbook(tmp_path / "target-branch.xlsx", sheets))

    assert located(report) == [("目标", 2, "工号")]
    assert "不属于门店“BJ02”" in report.errors[0].message


def test_a_staff_number_taken_by_another_login_is_refused(tmp_path, django_user_model):
    django_user_model.objects.create_user(username="E1003", password="x-long-password")
    report = import_workbook(write_workbook(tmp_path / "taken.xlsx", standard_sheets()))

    assert located(report) == [("员工", 4, "工号")]
    assert "已被其他登录账号使用" in report.errors[0].message


# --- a lead imports only their own branch ---------------------------------------------------------------


def test_a_lead_may_import_rows_of_their_own_branch(tmp_path):
    make_branch("BJ01")
    report = import_workbook(write_workbook(tmp_path / "own.xlsx", lead_sheets()), scope=LEAD_OF_BJ01)

    assert report.ok, report.errors
    assert Policy.objects.count() == 4
    assert Staff.objects.filter(branch__code="BJ01").count() == 3


def test_a_lead_may_not_edit_branches_or_pay(tmp_path):
    own = make_branch("BJ01")
    make_staff(own, "specialist", employee_no="E1002", base_salary=D("4000.00"))
    sheets = standard_sheets()
    sheets["员工"][1]["基本工资"] = 9000  # a raise, by upload
    sheets["员工"][2]["基本工资"] = None  # a new colleague: pay left to the admin
    sheets["员工"][0]["基本工资"] = 4500  # a new colleague with pay set by the lead

    report = import_workbook(write_workbook(tmp_path / "pay.xlsx", sheets), scope=LEAD_OF_BJ01)

    assert located(report) == [("门店", 2, "门店编码"), ("员工", 2, "基本工资"), ("员工", 3, "基本工资")]
    assert report.errors[0].message == BRANCHES_BY_ADMINS
    assert report.errors[1].message == report.errors[2].message == SALARY_BY_ADMINS

    del sheets["门店"]
    sheets["员工"][0]["基本工资"] = None
    sheets["员工"][1]["基本工资"] = None  # blank: keeps the current pay
    assert import_workbook(write_workbook(tmp_path / "ok.xlsx", sheets), scope=LEAD_OF_BJ01).ok
    assert Staff.objects.get(employee_no="E1002").base_salary == D("4000.00")
    assert Staff.objects.get(employee_no="E1003").base_salary == D("0.00")


def test_a_lead_importing_another_branchs_rows_is_refused_row_by_row(tmp_path):
    make_branch("BJ01")
    make_branch("TJ01")
    sheets = lead_sheets()
    sheets["门店"] = [branch_row("BJ01"), branch_row("TJ01")]
    sheets["员工"].append({**staff_row("T1", branch="TJ01"), "基本工资": None})
    sheets["保单"][2]["门店编码"] = "TJ01"
    sheets["保有客户"] = [retained_row(70, 门店编码="TJ01")]
    before = table_counts()

    report = import_workbook(write_workbook(tmp_path / "other.xlsx", sheets), scope=LEAD_OF_BJ01)

    assert located(report) == [("门店", 2, "门店编码"), ("门店", 3, "门店编码"), ("员工", 5, "门店编码"),
                               ("保单", 4, "门店编码"), ("保有客户", 2, "门店编码")]  # fmt: skip
    assert report.errors[0].message == BRANCHES_BY_ADMINS
    assert all(issue.message == OWN_BRANCH_ONLY for issue in report.errors[1:])
    assert table_counts() == before


def test_a_lead_cannot_move_another_branchs_staff_or_policies_or_grant_management_roles(tmp_path):
    own, other = make_branch("BJ01"), make_branch("TJ01")
    make_staff(other, "specialist", employee_no="E1003")
    make_staff(own, "manager", employee_no="E1002")
    import_workbook(
        write_workbook(tmp_path / "tj.xlsx", {"保单": [policy_row("PDAA0001", n=1, 门店编码="TJ01", 回访员工号=None,
                                                              销售员工号=None, 负责人工号=None, 跟进人工号=None)]})
    )  # fmt: skip
    sheets = lead_sheets()
    sheets["员工"][0]["角色"] = "管理员"
    report = import_workbook(write_workbook(tmp_path / "grab.xlsx", sheets), scope=LEAD_OF_BJ01)

    assert located(report) == [("员工", 2, "角色"), ("员工", 3, "角色"), ("员工", 4, "工号"), ("保单", 2, "保单号")]
    assert "您无权授予“管理员”角色" in report.errors[0].message
    assert "现有“保险经理”角色" in report.errors[1].message
    assert report.errors[2].message.startswith(OWN_BRANCH_ONLY)
    assert report.errors[3].message.startswith(OWN_BRANCH_ONLY)
    assert Policy.objects.get(policy_no="PDAA0001").branch == other


def test_an_unreadable_xlsx_is_refused_with_one_file_error(tmp_path):
    book = write_workbook(tmp_path / "ok.xlsx", standard_sheets())
    broken = rezip(book, tmp_path / "broken.xlsx", replace={"xl/workbook.xml": b"<workbook><sheets>"})
    report = import_workbook(broken)

    assert located(report) == [("文件", None, "")]
    assert "无法读取工作簿" in report.errors[0].message


def test_a_valid_id_number_is_accepted(tmp_path):
    assert import_with(tmp_path, "保单", 0, 被保险人证件号=VALID_ID).ok
