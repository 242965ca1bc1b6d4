"""The sheets and columns of the import workbook (DOMAIN.md §9), with the header aliases exports use."""

from __future__ import annotations

import re
from dataclasses import dataclass

from policies.validation import half_width

BRANCHES = "门店"
STAFF = "员工"
POLICIES = "保单"
RETAINED = "保有客户"
TARGETS = "目标"
SATISFACTION = "满意度"
INSTRUCTIONS = "说明"  # the template's own help sheet: never imported, never warned about


@dataclass(frozen=True)
class Column:
    name: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    help: str = ""
    example: str = ""


@dataclass(frozen=True)
class SheetSpec:
    name: str
    columns: tuple[Column, ...]
    help: str

    def column(self, name: str) -> Column:
        return next(column for column in self.columns if column.name == name)


# Aliases from DOMAIN.md §9, shared by every sheet that has the column.
_POLICY_NO = ("保险单号", "保单号码")
_VIN = ("VIN", "车辆识别代号", "车架号码")
_PLATE = ("号牌号码", "车牌号码")
_MOBILE = ("手机号", "手机号码", "联系方式")
_BRANCH_CODE = Column("门店编码", True, help="门店编码，须在“门店”表或系统中已存在", example="BJ01")
_CONSENT = Column("短信同意", help="是/否；空 = 不变。“是”记录同意日期（导入当天）", example="是")
_FOLLOW_UP = Column("跟进人工号", help="负责跟进本期续保的员工工号；其续保任务直接分配给此人", example="E1001")

SHEETS: dict[str, SheetSpec] = {
    spec.name: spec
    for spec in (
        SheetSpec(
            BRANCHES,
            (
                _BRANCH_CODE,
                Column("门店名称", True, help="门店全称", example="北京亚运村店"),
                Column("城市", help="门店所在城市", example="北京"),
                Column("续保启动日期", help="续保项目启动日期（前三个月为爬坡期）", example="2024-01-01"),
                Column("权益启用日期", help="续保客户权益开始发放的日期；空 = 续保启动日期", example="2024-03-01"),
                Column("救援城市", help="免费救援城市，以、分隔；空 = 门店所在城市", example="北京、廊坊"),
                Column("免费洗车", help="是/否，是否提供每期 10 次免费洗车", example="是"),
                Column("提前投保天数", help="最早可提前多少天出单，1–366，默认 90", example="90"),
            ),
            "每行一个门店，以门店编码识别；再次导入时按门店编码更新。",
        ),
        SheetSpec(
            STAFF,
            (
                Column("工号", True, help="员工工号，同时是登录账号", example="E1001"),
                Column("姓名", True, example="王小明"),
                _BRANCH_CODE,
                Column(
                    "角色",
                    True,
                    ("岗位",),
                    help="续保专员/回访员/服务顾问/续保负责人/经理/副总经理/总经理/财务/管理员/事业部，多个以、或,分隔",
                    example="续保专员、回访员",
                ),
                Column("团队", example="一组"),
                Column("组长", help="是/否", example="否"),
                Column("基本工资", help="元，最多两位小数", example="4500.00"),
            ),
            "每行一名员工，以工号识别；新员工的登录账号为工号，需由管理员设置密码后才能登录。",
        ),
        SheetSpec(
            POLICIES,
            (
                _BRANCH_CODE,
                Column("保险公司", True, ("承保公司",), example="平安产险"),
                Column(
                    "保单号", True, _POLICY_NO, help="同一保险公司内唯一；请设为文本格式", example="PDAA2024110100001"
                ),
                Column("险种", True, help="交强险 或 商业险", example="商业险"),
                Column("车架号", True, _VIN, help="17 位 VIN，含校验位；请设为文本格式", example="LSVFCFME37F107967"),
                Column("车牌号", False, _PLATE, help="空或“暂未上牌” = 新车未上牌", example="京A12345"),
                Column("厂牌型号", False, ("品牌型号", "车型"), example="大众 迈腾 2.0T"),
                Column("被保险人", True, ("被保险人名称", "客户名称"), example="张三"),
                Column("联系电话", False, _MOBILE, help="11 位手机号；与证件号至少填一项", example="13812345678"),
                Column("被保险人证件号", False, ("证件号", "证件号码", "身份证号"), help="18 位身份证号，只保存掩码"),
                Column("签单日期", False, ("出单日期",), help="空 = 起保日期", example="2024-12-20"),
                Column("起保日期", True, ("保险起期", "生效日期"), example="2025-01-01"),
                Column(
                    "终保日期", True, ("保险止期", "到期日", "失效日期"), help="最后一个保障日", example="2025-12-31"
                ),
                Column("保费", True, ("签单保费", "总保费", "保险费"), help="元，不含车船税", example="4512.00"),
                Column("险别", help="以,或、分隔，三者险写保额", example="车损险,三者险(100万),车上人员"),
                Column("渠道", help="到店 或 电销；空 = 到店", example="到店"),
                Column("回访员工号", example="E1002"),
                Column("销售员工号", example="E1003"),
                Column("负责人工号", example="E1004"),
                Column("上年保单号", help="本保单续保的上年保单号（用于认定续回）"),
                _FOLLOW_UP,
                _CONSENT,
            ),
            "每行一张在本店出单的保单，以“保险公司 + 保单号”识别。同一车同一期的交强险和商业险各占一行。",
        ),
        SheetSpec(
            RETAINED,
            (
                _BRANCH_CODE,
                Column("车架号", True, _VIN, example="LSVFCFME37F107967"),
                Column("车牌号", False, _PLATE, example="京A12345"),
                Column("客户", True, ("客户名称", "客户姓名", "车主", "被保险人", "被保险人名称"), example="李四"),
                Column("联系电话", True, _MOBILE, example="13912345678"),
                Column("最近返厂日期", False, ("最后返厂日期", "最近进厂日期"), example="2025-05-10"),
                Column("上年保险公司", False, ("保险公司", "承保公司"), example="人保财险"),
                Column("上年保单号", False, ("保单号", *_POLICY_NO)),
                Column(
                    "预计到期日", False, ("到期日", "保险止期", "终保日期"), help="空 = 到期日未知（不生成跟进任务）"
                ),
                _FOLLOW_UP,
                _CONSENT,
            ),
            "在他处投保、在本店维修保养的客户车辆；同一门店内以车架号识别。",
        ),
        SheetSpec(
            TARGETS,
            (
                _BRANCH_CODE,
                Column("月份", True, help="YYYY-MM", example="2025-03"),
                Column("工号", help="员工月度目标时填写；与客户类别二选一", example="E1001"),
                Column("客户类别", help="1–4，门店客户类别目标时填写；与工号二选一", example="1"),
                Column("目标台数", True, ("目标",), help="整数", example="30"),
            ),
            "员工月度目标（填工号）或门店客户类别目标（填客户类别）。",
        ),
        SheetSpec(
            SATISFACTION,
            (
                _BRANCH_CODE,
                Column("团队", True, example="一组"),
                Column("月份", True, help="YYYY-MM", example="2025-03"),
                Column("得分", True, ("满意度得分", "满意度"), help="0–100，最多两位小数", example="92.5"),
                Column("目标", True, ("目标分", "目标得分"), help="0–100，最多两位小数", example="90"),
            ),
            "团队月度满意度得分与目标。",
        ),
    )
}

# Written in this order, so every reference points to something already known.
SHEET_ORDER = (BRANCHES, STAFF, POLICIES, RETAINED, TARGETS, SATISFACTION)

_SPACES = re.compile(r"\s+")


def normalise_header(value: object) -> str:
    """Header text as compared: stripped, half-width, no spaces or line breaks, Latin letters uppercased."""
    return _SPACES.sub("", half_width("" if value is None else str(value))).upper()


def header_lookup(spec: SheetSpec) -> dict[str, str]:
    """Normalised header or alias -> canonical column name."""
    lookup: dict[str, str] = {}
    for column in spec.columns:
        for text in (column.name, *column.aliases):
            lookup.setdefault(normalise_header(text), column.name)
    return lookup


SHEET_BY_HEADER = {normalise_header(name): name for name in SHEETS}
