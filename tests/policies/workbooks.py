"""Building import workbooks inside tests (openpyxl, small files in tmp_path).

Rows are dicts keyed by the header as it should appear in the file, so a test can rename a header (aliases),
drop a column, or put a wrong value in exactly one cell, and know the Excel row it lands on: data row i of a
sheet (0-based) is Excel row i + 2.
"""

from __future__ import annotations

import zipfile
from datetime import date
from pathlib import Path

from openpyxl import Workbook

from tests.factories import make_vin

VALID_ID = "11010519491231002X"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id_number(birth: str = "19850615", sequence: str = "123", region: str = "110105") -> str:
    body = region + birth + sequence
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def vin(n: int) -> str:
    return make_vin(seed=1000 + n)


def branch_row(code: str = "BJ01", **fields) -> dict:
    return {"门店编码": code, "门店名称": f"北京{code}店", "城市": "北京", "续保启动日期": date(2024, 1, 1),
            "免费洗车": "是", "提前投保天数": 90, **fields}  # fmt: skip


def staff_row(number: str = "E1001", branch: str = "BJ01", roles: str = "续保专员", **fields) -> dict:
    return {"工号": number, "姓名": f"员工{number}", "门店编码": branch, "角色": roles, "团队": "一组", "组长": "否",
            "基本工资": 4500, **fields}  # fmt: skip


def policy_row(
    policy_no: str = "PDAA0001", *, n: int = 1, kind: str = "商业险", start: date = date(2025, 1, 1), **fields
) -> dict:
    end = start.replace(year=start.year + 1) - (date(2025, 1, 2) - date(2025, 1, 1))
    commercial = kind == "商业险"
    return {
        "门店编码": "BJ01", "保险公司": "平安产险", "保单号": policy_no, "险种": kind, "车架号": vin(n),
        "车牌号": f"京A{n:05d}", "厂牌型号": "大众 迈腾", "被保险人": f"客户{n}", "联系电话": f"138{n:08d}",
        "被保险人证件号": None, "签单日期": start.replace(day=1) if start.day > 1 else start, "起保日期": start,
        "终保日期": end, "保费": 4512.5 if commercial else 950,
        "险别": "车损险,三者险(100万),车上人员" if commercial else None,
        "渠道": None, "回访员工号": "E1002", "销售员工号": "E1003", "负责人工号": "E1001", "上年保单号": None,
        "跟进人工号": "E1001", "短信同意": "是", **fields,
    }  # fmt: skip


def retained_row(n: int = 50, **fields) -> dict:
    return {"门店编码": "BJ01", "车架号": vin(n), "车牌号": f"京B{n:05d}", "客户": f"保有客户{n}",
            "联系电话": f"139{n:08d}", "最近返厂日期": date(2025, 5, 10), "上年保险公司": "人保财险",
            "上年保单号": f"PICC{n:06d}", "预计到期日": date(2025, 12, 31), "跟进人工号": "E1001", "短信同意": "否",
            **fields}  # fmt: skip


def target_row(**fields) -> dict:
    return {"门店编码": "BJ01", "月份": "2025-03", "工号": "E1001", "客户类别": None, "目标台数": 30, **fields}


def satisfaction_row(**fields) -> dict:
    return {"门店编码": "BJ01", "团队": "一组", "月份": "2025-03", "得分": 92.5, "目标": 90, **fields}


def standard_sheets() -> dict[str, list[dict]]:
    """One branch, three staff, two vehicles each with a 交强 + 商业 policy of the same term."""
    return {
        "门店": [branch_row()],
        "员工": [
            staff_row("E1001", roles="续保负责人、续保专员"),
            staff_row("E1002", roles="回访员"),
            staff_row("E1003", roles="服务顾问"),
        ],
        "保单": [
            policy_row("PDAA0001", n=1, kind="商业险"),
            policy_row("PDZA0001", n=1, kind="交强险"),
            policy_row("PDAA0002", n=2, kind="商业险"),
            policy_row("PDZA0002", n=2, kind="交强险"),
        ],
    }


def lead_sheets() -> dict[str, list[dict]]:
    """The standard workbook as a lead may upload it: no 门店 sheet and no 基本工资 (an admin's to set)."""
    sheets = standard_sheets()
    del sheets["门店"]
    for row in sheets["员工"]:
        del row["基本工资"]
    return sheets


def write_workbook(path: Path, sheets: dict[str, list[dict] | list[list]]) -> Path:
    """Each sheet: a list of dicts (header = union of keys, in order) or of raw rows (the first is the header)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        if rows and isinstance(rows[0], dict):
            headers = list(dict.fromkeys(key for row in rows for key in row))
            sheet.append(headers)
            for row in rows:
                sheet.append([row.get(header) for header in headers])
        else:
            for row in rows:
                sheet.append(row)
    workbook.save(path)
    return path


def excel_row(index: int) -> int:
    """Excel row number of the data row at `index` (0-based) of a sheet built by write_workbook."""
    return index + 2


def rezip(source: Path, target: Path, *, extra: dict[str, bytes] | None = None, replace: dict | None = None) -> Path:
    """Copy an .xlsx archive member by member, adding or replacing members (for hostile-file tests)."""
    extra, replace = extra or {}, replace or {}
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for member in original.infolist():
            data = replace.get(member.filename, original.read(member.filename))
            copy.writestr(member.filename, data)
        for name, data in extra.items():
            copy.writestr(name, data)
    return target
