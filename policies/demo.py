"""Demo data: a realistic dealership group, deterministic for a given seed (DESIGN.md `seed_demo`).

`seed_demo()` is what `python manage.py seed_demo` runs; benchmarks and tests call it directly.

What it builds (DOMAIN.md §1, §3, §4, §9):
- branches (3 by default, up to 20 at a million policies), one of them started within the last three months so
  its ramp window (DOMAIN §7 RAMP) is live;
- staff holding every branch role in every branch (teams with a 组长, base salaries), plus one division and one
  finance login for the whole group — all through policies.services.create_staff, password ``demo12345``
  (DEMO ONLY: anyone who reads this file knows it);
- insurers, customers (Chinese names, valid mobiles, some with SMS consent, masked ID numbers), vehicles (valid
  Chinese VINs with a correct check digit, 7- and 8-character plates);
- 18 months of policies up to today: every vehicle's first term starts somewhere in that window; terms that have
  already ended were renewed on time, renewed after a lapse (脱保续回) or lost; some terms ending soon were renewed
  early; 交强 + 商业 per term (some 交强-only or 商业-only), credited staff and a 跟进人;
- 保有客户 rows (vehicles insured elsewhere) in customer categories 2, 3 and 4.

The vehicle-terms are built here, in Python, from the policies just generated, and are exactly the rows that
policies.services.rebuild_terms would derive (tests/policies/test_seed_demo.py checks it): the generator knows
each term's policies and renewal link, and uses policies.terms.renewal_kind for the link's kind.

Writes are bulk and chunked (CHUNK_VEHICLES vehicles at a time), so memory stays flat at any size: PostgreSQL gets
psycopg 3 COPY (from BULK_LOAD_FROM policies on, with the tables' foreign keys and non-unique indexes put back after
the load, as pg_restore does), other databases bulk_create. Primary keys are reserved up front (PostgreSQL: from the
table's sequence; SQLite: above the current maximum) so rows can reference each other before they are written.
The data is one transaction: a failed seed leaves nothing behind. The follow-up cases, the desk's activity, the
payout runs and last month's 战报表 come afterwards, from the other apps' own services (_build_cases).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, models, reset_queries, transaction
from django.utils import timezone

from policies.masking import mask_id_number
from policies.models import Branch, Customer, Insurer, Policy, RetainedCustomer, Staff, Vehicle, VehicleTerm
from policies.services import FULL_COVER_MIN_THIRD_PARTY, create_staff, customer_id_hash
from policies.terms import COMMERCIAL, COMPULSORY, renewal_kind
from policies.validation import vin_check_digit
from renewal_desk.months import add_months, month_start
from renewal_desk.roles import Role

logger = logging.getLogger(__name__)

DEMO_PASSWORD = "demo12345"  # noqa: S105 — demo data only, printed by demo_logins
DEFAULT_POLICIES = 3000
DEFAULT_SEED = 2024
CHUNK_VEHICLES = 20_000
BULK_CREATE_BATCH = 2_000  # other databases: rows per bulk_create (Django splits further to the parameter limit)
BULK_LOAD_FROM = 20_000  # policies: from here PostgreSQL loads without indexes and foreign keys, then rebuilds them
HISTORY_MONTHS = 18
# Up to this size the desk's past months are replayed month by month (followups.demo.replay_history); a larger
# demo (a benchmark's) gets the daily job for today only, its history created at once as late data.
HISTORY_REPLAY_MAX_POLICIES = 50_000
RETAINED_PER_VEHICLE = 0.25  # 保有客户 rows per vehicle with policies

# Outcome of a term that has already ended (before today): the rest is lost (no next term).
LAPSED_SHARE = 0.08
EARLY_RENEWAL_SHARE = 0.25  # terms ending in the next 45 days already renewed
EARLY_RENEWAL_HORIZON_DAYS = 45


# --- the group ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BranchSpec:
    code: str
    name: str
    city: str
    plate_prefixes: tuple[str, ...]
    area_code: str  # 身份证 address code of the city's main district
    start_months_ago: int  # 续保启动日期 = the first of the month this many months before today's month
    renewal_rate: float  # this branch's on-time renewal share of ended terms
    free_washes: bool = False
    advance_days: int = 90
    rescue_cities: str = ""


BRANCH_SPECS: tuple[BranchSpec, ...] = (
    BranchSpec("BJ01", "北京亚运村店", "北京", ("京N", "京Q", "京P", "京A", "京E", "京F", "京H", "京K"), "110105",
               20, 0.64, free_washes=True, rescue_cities="北京、廊坊"),
    BranchSpec("TJ01", "天津河西店", "天津", ("津A", "津B", "津C", "津D", "津H", "津M", "津N", "津R"), "120103",
               9, 0.59, advance_days=60),
    BranchSpec("CD01", "成都高新店", "成都", ("川A",), "510107", 1, 0.55, free_washes=True),
    BranchSpec("SH01", "上海浦东店", "上海", ("沪A", "沪B", "沪D", "沪E", "沪F", "沪G", "沪H", "沪J", "沪K", "沪L"),
               "310115", 22, 0.62, free_washes=True),
    BranchSpec("GZ01", "广州天河店", "广州", ("粤A",), "440106", 18, 0.61),
    BranchSpec("SZ01", "深圳南山店", "深圳", ("粤B",), "440305", 15, 0.60, free_washes=True),
    BranchSpec("HZ01", "杭州西湖店", "杭州", ("浙A",), "330106", 14, 0.63, rescue_cities="杭州、绍兴"),
    BranchSpec("NJ01", "南京建邺店", "南京", ("苏A",), "320105", 13, 0.58),
    BranchSpec("WH01", "武汉光谷店", "武汉", ("鄂A",), "420111", 12, 0.57, free_washes=True),
    BranchSpec("XA01", "西安高新店", "西安", ("陕A", "陕U"), "610113", 11, 0.56, advance_days=60),
    BranchSpec("CQ01", "重庆渝北店", "重庆", ("渝A", "渝B", "渝D"), "500112", 10, 0.58),
    BranchSpec("ZZ01", "郑州金水店", "郑州", ("豫A",), "410105", 9, 0.57, advance_days=30),
    BranchSpec("CS01", "长沙岳麓店", "长沙", ("湘A",), "430104", 8, 0.60),
    BranchSpec("JN01", "济南历下店", "济南", ("鲁A",), "370102", 7, 0.59, free_washes=True),
    BranchSpec("QD01", "青岛崂山店", "青岛", ("鲁B", "鲁U"), "370212", 6, 0.61),
    BranchSpec("SY01", "沈阳浑南店", "沈阳", ("辽A",), "210112", 16, 0.55, advance_days=60),
    BranchSpec("SU01", "苏州园区店", "苏州", ("苏E", "苏U"), "320571", 5, 0.62, rescue_cities="苏州、无锡"),
    BranchSpec("HF01", "合肥蜀山店", "合肥", ("皖A",), "340104", 4, 0.58),
    BranchSpec("FZ01", "福州鼓楼店", "福州", ("闽A",), "350102", 19, 0.60),
    BranchSpec("KM01", "昆明官渡店", "昆明", ("云A",), "530111", 2, 0.54),
)  # fmt: skip
BRANCH_WEIGHTS_DEFAULT = (0.40, 0.32, 0.28)
POLICIES_PER_EXTRA_BRANCH = 50_000  # 3 branches up to 150,000 policies, 20 at a million


def branch_count(policies: int) -> int:
    return max(3, min(len(BRANCH_SPECS), policies // POLICIES_PER_EXTRA_BRANCH))


# (name, commercial prefix, compulsory prefix, weight)
INSURERS: tuple[tuple[str, str, str, int], ...] = (
    ("平安产险", "PAAC", "PAZC", 30),
    ("人保财险", "PDAA", "PDZA", 26),
    ("太平洋产险", "ACPA", "ACZA", 17),
    ("国寿财险", "GSAA", "GSZA", 9),
    ("大地保险", "DDAA", "DDZA", 7),
    ("阳光产险", "YGAA", "YGZA", 6),
    ("太平产险", "TPAA", "TPZA", 5),
)
OTHER_INSURERS = ("中华联合", "华安保险", "永安保险", "天安财险", "众安保险")


@dataclass(frozen=True)
class CarModel:
    brand: str
    series: str
    trims: tuple[str, ...]
    wmis: tuple[str, ...]
    new_energy: bool
    premium: tuple[int, int]  # full-cover 商业险 premium range, CNY
    weight: int
    since: int  # the generation's launch year: no car of it is registered earlier
    seats: int = 5


CAR_MODELS: tuple[CarModel, ...] = (
    CarModel("大众", "迈腾", ("330TSI DSG 领先型", "380TSI DSG 豪华型"), ("LFV",), False, (3800, 6000), 9, 2017),
    CarModel("大众", "朗逸", ("1.5L 自动舒适版", "280TSI DSG 满逸版"), ("LSV",), False, (2300, 3600), 10, 2018),
    CarModel("大众", "帕萨特", ("330TSI 精英版", "380TSI 旗舰版"), ("LSV",), False, (3800, 5800), 6, 2019),
    CarModel("大众", "途观L", ("330TSI 自动两驱智享版",), ("LSV",), False, (4200, 6300), 6, 2017),
    CarModel("大众", "ID.4 CROZZ", ("纯净智享版", "长续航 PRO"), ("LFV",), True, (4500, 6600), 3, 2021),
    CarModel("丰田", "凯美瑞", ("2.0G 豪华版", "2.5Q 旗舰版"), ("LVG",), False, (3500, 5500), 8, 2018),
    CarModel("丰田", "卡罗拉", ("1.2T S-CVT 精英版", "双擎 1.8L 先锋版"), ("LFM",), False, (2300, 3500), 8, 2019),
    CarModel("丰田", "汉兰达", ("2.0T 四驱豪华版",), ("LVG",), False, (5000, 7600), 4, 2022, seats=7),
    CarModel("本田", "雅阁", ("260TURBO 豪华版", "锐·混动 2.0L 旗舰版"), ("LHG",), False, (3600, 5400), 7, 2018),
    CarModel("本田", "CR-V", ("240TURBO CVT 两驱舒适版",), ("LVH",), False, (3500, 5300), 6, 2017),
    CarModel("别克", "GL8", ("ES陆尊 653T 豪华型",), ("LSG",), False, (5200, 7800), 4, 2020, seats=7),
    CarModel("别克", "英朗", ("15S CVT 精英型",), ("LSG",), False, (2100, 3200), 5, 2015),
    CarModel("奥迪", "A6L", ("45 TFSI 臻选动感型", "40 TFSI 豪华致雅型"), ("LFV",), False, (7000, 9000), 4, 2019),
    CarModel("奥迪", "Q5L", ("40 TFSI 时尚动感型",), ("LFV",), False, (6500, 8800), 3, 2018),
    CarModel("宝马", "5系", ("525Li 豪华套装", "530Li 领先型 M运动套装"), ("LBV",), False, (7200, 9000), 3, 2018),
    CarModel("日产", "轩逸", ("1.6L XL CVT 悦享版",), ("LGB",), False, (2000, 3000), 7, 2020),
    CarModel("比亚迪", "汉", ("EV 冠军版 605KM 旗舰型",), ("LGX",), True, (4800, 7200), 4, 2020),
    CarModel("比亚迪", "秦PLUS", ("DM-i 55KM 领先型", "EV 510KM 卓越型"), ("LC0",), True, (2600, 4000), 5, 2021),
    CarModel("比亚迪", "宋PLUS", ("DM-i 110KM 旗舰型",), ("LGX",), True, (3200, 4800), 4, 2021),
)
_MODEL_CUM = list(accumulate(model.weight for model in CAR_MODELS))

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴"
)
# Rough frequency: the first ten surnames cover about 45% of people.
_SURNAME_CUM = list(
    accumulate([7.1, 7.0, 6.7, 5.4, 4.6, 3.1, 2.2, 2.1, 2.0, 1.9] + [1.0] * 20 + [0.45] * (len(SURNAMES) - 30))
)
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红鹏飞宇浩凯健俊帆帅旭宁晨婷雪琳慧颖欣怡佳嘉梓子涵"
    "轩博文斌波辉鑫瑞晶倩璐丹阳雨建国志海林峰庆春立新亮成东冬兰梅莉燕琴云晓思雅悦宏振光天永荣金德福昊然泽睿"
    "航铭彤诗淑雯婧琦昕远诚毅"
)
COMPANY_WORDS = ("华信", "盛达", "鼎元", "恒通", "博远", "金桥", "天润", "中联", "新锐", "瑞丰", "永泰", "宏图")
COMPANY_TRADES = ("科技", "商贸", "物流", "建设工程", "餐饮管理", "文化传媒", "医疗器械", "汽车租赁")
MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155", "156", "157",
    "158", "159", "166", "173", "175", "176", "177", "178", "180", "181", "182", "183", "185", "186", "187", "188",
    "189", "191", "195", "198", "199",
)  # fmt: skip

VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # no I, O, Q
_PLANT_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"  # 33 plant codes x 10^6 serials: unique VINs up to 33M cars
_VIN_SERIAL_SPACE = len(_PLANT_CHARS) * 1_000_000
_MODEL_YEAR_CODES = dict(zip(range(2010, 2031), "ABCDEFGHJKLMNPRSTVWXY", strict=True))
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I, O
PLATE_DIGITS = "0123456789"
_PLATE_PATTERNS = ("LDDDD", "LDDDD", "DDDDD", "LLDDD", "DLDDD", "DDDDL", "LDLDD")  # L letter, D digit

# 交强险 by seats: base 950 (under 6 seats) / 1100 (6 seats and more), × the no-claims factor.
_COMPULSORY_FACTORS = ((Decimal("0.7"), 45), (Decimal("0.8"), 20), (Decimal("0.9"), 15), (Decimal("1.0"), 15),
                       (Decimal("1.1"), 3), (Decimal("1.2"), 2))  # fmt: skip
_THIRD_PARTY_LIMITS = ((1_000_000, 20), (1_500_000, 15), (2_000_000, 35), (3_000_000, 22), (5_000_000, 8))
_RIDERS = ("医保外医疗费用责任险", "车轮单独损失险", "修理期间费用补偿险", "道路救援服务特约条款")

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643 check digit


class DatabaseNotEmpty(Exception):
    """Demo data goes into an empty database only (branch codes, 工号 and VINs would clash)."""


# --- results --------------------------------------------------------------------------------------


@dataclass
class DemoSummary:
    seed: int
    today: date
    branches: int = 0
    staff: int = 0
    insurers: int = 0
    customers: int = 0
    vehicles: int = 0
    policies: int = 0
    policies_by_kind: Counter = field(default_factory=Counter)
    terms: int = 0
    terms_by_kind: Counter = field(default_factory=Counter)  # new / renewal / lapsed
    losses: int = 0  # ended terms with no next term
    early_renewals: int = 0
    retained: int = 0
    retained_by_category: Counter = field(default_factory=Counter)
    retained_without_expiry: int = 0
    seconds: float = 0.0
    cases: str = ""

    def lines(self) -> list[str]:
        kinds = self.terms_by_kind
        cats = self.retained_by_category
        return [
            f"演示数据已生成（seed={self.seed}，今天={self.today:%Y-%m-%d}，用时 {self.seconds:.1f} 秒）",
            f"  门店 {self.branches} · 员工 {self.staff} · 保险公司 {self.insurers} · 客户 {self.customers:,} · "
            f"车辆 {self.vehicles:,}",
            f"  保单 {self.policies:,}（交强险 {self.policies_by_kind[COMPULSORY]:,} / "
            f"商业险 {self.policies_by_kind[COMMERCIAL]:,}），车辆保险期 {self.terms:,}：首年/新保 {kinds['new']:,} · "
            f"续回 {kinds['renewal']:,}（其中提前续保 {self.early_renewals:,}） · 脱保续回 {kinds['lapsed']:,} · "
            f"已到期未续（流失） {self.losses:,}",
            f"  保有客户 {self.retained:,}：类别2 {cats[2]:,} · 类别3 {cats[3]:,} · 类别4 {cats[4]:,}"
            f"（无预计到期日 {self.retained_without_expiry:,}）",
            f"  跟进案件：{self.cases or '未生成'}",
            f"  演示账号密码均为 {DEMO_PASSWORD}（仅供演示）；运行 python manage.py demo_logins 查看各角色账号",
        ]


# --- entry point ----------------------------------------------------------------------------------


def seed_demo(
    *,
    policies: int = DEFAULT_POLICIES,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    build_cases: bool = True,
    progress: Callable[[str], None] | None = None,
    bulk_load: bool | None = None,
) -> DemoSummary:
    """Build the demo group into an empty database. Raises DatabaseNotEmpty when branches exist already.

    bulk_load: on PostgreSQL, load without foreign keys and non-unique indexes and rebuild them afterwards
    (_postgres_bulk_load); by default from BULK_LOAD_FROM policies on.
    """
    if policies < 1:
        raise ValueError("policies must be at least 1")
    today = today or timezone.localdate()
    started = time.monotonic()
    with transaction.atomic():
        if Branch.objects.exists():
            raise DatabaseNotEmpty("数据库中已有门店数据：演示数据只能写入空数据库（或使用 --if-empty 跳过）。")
        generator = _Generator(
            policies=policies,
            seed=seed,
            today=today,
            progress=progress,
            bulk_load=policies >= BULK_LOAD_FROM if bulk_load is None else bulk_load,
        )
        summary = generator.run()
    if build_cases:
        summary.cases = _build_cases(today, history=policies <= HISTORY_REPLAY_MAX_POLICIES)
    summary.seconds = time.monotonic() - started
    return summary


def _build_cases(today: date, *, history: bool) -> str:
    """The desk's life on the demo data, through the follow-up, incentives and reports apps' own services: the past
    months replayed (followups.demo.replay_history — only with `history`), the daily job for today, today's desk
    activity, then targets, satisfaction and payout runs (incentives.demo) and last month's stored 战报表 as the 1st's
    scheduled build would have left them. Returns a short description for the summary.

    The policy data is committed before this runs: a failure is reported (so `make run` still serves the app), and
    `python manage.py run_daily` can be run again by hand.
    """
    from followups.demo import replay_history, simulate_desk_activity
    from followups.services import run_daily
    from incentives.demo import seed_incentives
    from reports.periods import month_end_cut_off
    from reports.services import build_battle_file, notify_division

    steps: list[str] = []
    try:
        if history:
            replayed = replay_history(today=today)
            steps.append(
                f"回放过去 {replayed['runs']} 个月（月末每日任务、检查点联系 {replayed['contacts']:,} 次、"
                f"短信提醒 {replayed['reminders_sent']:,} 条、"
                f"续回权益 {replayed['perk_terms']:,} 期、权益核销 {replayed['perk_redemptions']:,} 次、"
                f"战败审核 {replayed['losses_reviewed']:,} 件）"
            )
        result = run_daily(day=today)
        if history:
            from perks.services import sync_renewal_perks

            sync_renewal_perks(today=today)  # the daily sweep: this month's renewals get their perks
        steps.append(
            f"{today:%Y-%m-%d} 每日任务：新建 {result.cases_created:,} 件，在跟进 {result.cases_open:,} 件"
            f"（移交逾期 {result.handoff_overdue:,}，已升级 {result.escalated:,}），待发提醒 {result.reminders_due:,}"
        )
        activity = simulate_desk_activity()
        steps.append(
            f"今日跟进演示：联系 {activity['contacts']}、报价 {activity['quotes']}、战败审核 "
            f"{activity['losses_reviewed']}、加送机油申请 {activity['oil_requests']}"
        )
        paid = seed_incentives(today=today, payouts=history)
        steps.append(f"目标 {paid['targets']:,} 条、发放批次 {paid['payout_runs']}（已锁定 {paid['payout_locked']}）")
        if history:
            last_month = add_months(month_start(today), -1)
            cut_off = month_end_cut_off(last_month)
            for branch in Branch.objects.order_by("code"):
                build_battle_file(month=last_month, branch=branch, cut_off=cut_off)
            build_battle_file(month=last_month, branch=None, cut_off=cut_off)
            notify_division(month=last_month, cut_off=cut_off)
            steps.append(f"{last_month:%Y-%m} 战报表已生成")
    except Exception as exc:
        logger.exception("seed_demo: building the desk's activity failed")
        steps.append(f"生成失败（{type(exc).__name__}: {exc}）；可稍后运行 python manage.py run_daily 重试"[:300])
    return "；".join(steps)


# --- primary keys ---------------------------------------------------------------------------------


class _IdPool:
    """Primary keys handed out before rows are written, so rows can reference each other in one pass."""

    FIRST_BLOCK = 1_000
    MAX_BLOCK = 50_000  # blocks double up to this: few round trips, and a small seed leaves no big gap

    def __init__(self, model: type[models.Model]):
        self.table = model._meta.db_table
        self.column = model._meta.pk.column
        self.vendor = connection.vendor
        self._ids: Iterator[int] = iter(())
        self._block = self.FIRST_BLOCK
        self._next_sqlite: int | None = None

    def __call__(self) -> int:
        for value in self._ids:
            return value
        self._ids = iter(self._reserve(self._block))
        self._block = min(self._block * 2, self.MAX_BLOCK)
        return next(self._ids)

    def _reserve(self, count: int) -> list[int] | range:
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            if self.vendor == "postgresql":
                # A contiguous block in one statement. A writer racing between the two calls would get a key in
                # the block and make the seed fail on a duplicate key (all rolled back): never silently wrong.
                cursor.execute(
                    "SELECT setval(seq, nextval(seq) + %s - 1) FROM pg_get_serial_sequence(%s, %s) AS seq",
                    [count, quote(self.table), self.column],
                )
                last = cursor.fetchone()[0]
                return range(last - count + 1, last + 1)
            if self._next_sqlite is None:
                cursor.execute(f"SELECT MAX({quote(self.column)}) FROM {quote(self.table)}")  # noqa: S608
                highest = cursor.fetchone()[0] or 0
                if self.vendor == "sqlite":
                    cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [self.table])
                    found = cursor.fetchone()
                    highest = max(highest, found[0] if found else 0)
                self._next_sqlite = highest + 1
        first = self._next_sqlite
        self._next_sqlite += count
        return range(first, first + count)


# --- bulk writing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Table:
    model: type[models.Model]
    fields: tuple[str, ...]  # attnames, in row order

    @property
    def columns(self) -> list[str]:
        return [self.model._meta.get_field(name.removesuffix("_id")).column for name in self.fields]


CUSTOMER = _Table(Customer, ("id", "name", "mobile", "mobile_last4", "id_masked", "id_hash", "sms_consent",
                             "sms_consent_on", "created_at"))  # fmt: skip
VEHICLE = _Table(Vehicle, ("id", "vin", "plate", "engine_no", "model_name", "first_registration", "new_energy",
                           "owner_id"))  # fmt: skip
TERM = _Table(VehicleTerm, (
    "id", "vehicle_id", "branch_id", "owner_id", "start_on", "t_date", "last_end", "signed_on", "channel",
    "callback_id", "seller_id", "lead_id", "follow_up_id", "has_compulsory", "has_commercial", "premium_compulsory",
    "premium_commercial", "full_cover", "previous_term_id", "renewal_kind", "cancelled_on",
))  # fmt: skip
POLICY = _Table(Policy, (
    "id", "insurer_id", "policy_no", "kind", "branch_id", "vehicle_id", "term_id", "insured_id", "signed_on",
    "start_on", "end_on", "premium", "coverages", "has_vehicle_damage", "third_party_limit", "channel", "callback_id",
    "seller_id", "lead_id", "follow_up_id", "previous_policy_no", "cancelled_on", "created_at", "updated_at",
))  # fmt: skip
RETAINED = _Table(RetainedCustomer, (
    "id", "branch_id", "vehicle_id", "customer_id", "last_return_on", "previous_insurer", "previous_policy_no",
    "expected_end", "follow_up_id", "updated_at",
))  # fmt: skip
_POLICY_COVERAGES = POLICY.fields.index("coverages")


def write_rows(table: _Table, rows: list[tuple]) -> None:
    """Insert rows (tuples in table.fields order, primary keys included): COPY on PostgreSQL, else bulk_create."""
    if not rows:
        return
    if connection.vendor == "postgresql":
        quote = connection.ops.quote_name
        statement = (
            f"COPY {quote(table.model._meta.db_table)} ({', '.join(quote(c) for c in table.columns)}) FROM STDIN"
        )
        json_at = _POLICY_COVERAGES if table is POLICY else None
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in rows:
                if json_at is not None:
                    row = (*row[:json_at], json.dumps(row[json_at], ensure_ascii=False), *row[json_at + 1 :])
                copy.write_row(row)
        return
    model, names = table.model, table.fields
    for start in range(0, len(rows), BULK_CREATE_BATCH):  # model instances for one batch at a time
        batch = rows[start : start + BULK_CREATE_BATCH]
        model.objects.bulk_create([model(**dict(zip(names, row, strict=True))) for row in batch])


BULK_TABLES = (Customer, Vehicle, VehicleTerm, Policy, RetainedCustomer)


@contextlib.contextmanager
def _postgres_bulk_load(models_: tuple[type[models.Model], ...]) -> Iterator[None]:
    """Load the way pg_restore does: without the tables' foreign keys and non-unique indexes, then put them back.

    Building an index once by sorting, and validating a foreign key in one set-based pass when it is added back,
    is several times faster than maintaining both row by row (a foreign-key check locks the referenced row and
    writes WAL for it). Nothing goes unchecked: primary keys and unique constraints stay in place during the load,
    and re-adding each foreign key validates every row. The definitions are read from the catalogue, so whatever
    the migrations declare comes back exactly; DDL is transactional, so a failure restores everything. The tables
    are locked (ACCESS EXCLUSIVE) until the seed commits — fine for demo data in a fresh database.
    """
    tables = [model._meta.db_table for model in models_]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1, 2",
            [tables],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) ORDER BY 1",
            [tables],
        )
        indexes = cursor.fetchall()
        for table, name, _ in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        for table, name, definition in foreign_keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {quote(name)} {definition}")
        for table in tables:
            cursor.execute(f"ANALYZE {quote(table)}")  # fresh planner statistics for the first pages


# --- the generator --------------------------------------------------------------------------------


@dataclass
class _BranchCtx:
    spec: BranchSpec
    branch: Branch
    weight: float
    specialists: list[int] = field(default_factory=list)
    callbacks: list[int] = field(default_factory=list)
    sellers: list[int] = field(default_factory=list)
    lead: int | None = None


@dataclass
class _PolicyPlan:
    kind: str
    insurer: int  # index into INSURERS
    start_on: date
    end_on: date
    premium: Decimal
    coverages: list[str]
    has_vehicle_damage: bool
    third_party_limit: int | None
    previous_policy_no: str = ""


@dataclass
class _TermDone:
    """What the next term of the same vehicle needs to know about this one."""

    pk: int
    t_date: date
    last_end: date
    policies: dict[str, tuple[str, _PolicyPlan]]  # kind -> (policy_no, plan)


class _Generator:
    def __init__(
        self, *, policies: int, seed: int, today: date, progress: Callable[[str], None] | None, bulk_load: bool
    ):
        self.target = policies
        self.bulk_load = bulk_load
        self.seed = seed
        self.today = today
        self.progress = progress
        self.rng = random.Random(seed)
        self.now = timezone.now()
        self.summary = DemoSummary(seed=seed, today=today)
        self.window_start = add_months(today, -HISTORY_MONTHS)
        self.window_days = (today - self.window_start).days
        self.vehicle_index = 0  # global, for unique VINs
        self.customer_index = 0  # global, for unique ID numbers
        self.policy_serial = 0
        self.insured_vehicles = 0
        self.vin_offset = self.rng.randrange(_VIN_SERIAL_SPACE)
        self.id_offset = self.rng.randrange(14_610_000)
        self.ids = {
            Customer: _IdPool(Customer),
            Vehicle: _IdPool(Vehicle),
            VehicleTerm: _IdPool(VehicleTerm),
            Policy: _IdPool(Policy),
            RetainedCustomer: _IdPool(RetainedCustomer),
        }

    # -- orchestration

    def run(self) -> DemoSummary:
        postgres = connection.vendor == "postgresql"
        if postgres:
            # Foreign keys are DEFERRABLE INITIALLY DEFERRED: checking them per statement keeps the server's queue of
            # pending checks to one chunk instead of every row until commit (and lets the bulk load alter tables).
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        try:
            load = _postgres_bulk_load if postgres and self.bulk_load else contextlib.nullcontext
            with load(BULK_TABLES):
                self.insurer_ids = self._insurers()
                self.branches = self._branches()
                self._staff()
                self.branch_cum = list(accumulate(ctx.weight for ctx in self.branches))
                while self.summary.policies < self.target:
                    self._chunk()
                    if self.progress:
                        self.progress(f"  … 保单 {self.summary.policies:,} / {self.target:,}")
                if self.progress and postgres and self.bulk_load:
                    self.progress("  … 重建索引与外键约束（逐表校验）")
        finally:
            if postgres:
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return self.summary

    def _insurers(self) -> list[int]:
        ids = [Insurer.objects.get_or_create(name=name)[0].pk for name, *_ in INSURERS]
        self.summary.insurers = len(ids)
        self.insurer_cum = list(accumulate(weight for *_, weight in INSURERS))
        return ids

    def _branches(self) -> list[_BranchCtx]:
        count = branch_count(self.target)
        contexts = []
        base = month_start(self.today)
        for index, spec in enumerate(BRANCH_SPECS[:count]):
            branch = Branch.objects.create(
                code=spec.code,
                name=spec.name,
                city=spec.city,
                programme_start=add_months(base, -spec.start_months_ago),
                rescue_cities=spec.rescue_cities,
                free_washes=spec.free_washes,
                advance_days=spec.advance_days,
            )
            weight = BRANCH_WEIGHTS_DEFAULT[index] if count == 3 else self.rng.uniform(0.6, 1.4)
            contexts.append(_BranchCtx(spec=spec, branch=branch, weight=weight))
        self.summary.branches = count
        return contexts

    def _staff(self) -> None:
        """Every branch role in every branch, plus the group's division and finance logins (DOMAIN.md §1)."""
        numbers = iter(range(1001, 1_000_000))
        used_names: set[str] = set()

        def person(branch: Branch, roles: tuple[str, ...], team: str, leader: bool = False, salary: int = 0) -> Staff:
            name = self._person_name()
            while name in used_names:
                name = self._person_name()
            used_names.add(name)
            return create_staff(
                employee_no=str(next(numbers)), name=name, branch=branch, roles=roles, team=team,
                is_team_leader=leader, base_salary=Decimal(salary).quantize(Decimal("0.01")),
            )  # fmt: skip

        rng = self.rng
        created = [
            person(self.branches[0].branch, (Role.DIVISION,), "事业部", salary=18000),
            person(self.branches[0].branch, (Role.FINANCE,), "财务部", salary=7500),
        ]
        per_branch = self.target / len(self.branches)
        specialist_teams = ("续保一组", "续保二组") if per_branch < 20_000 else ("续保一组", "续保二组", "续保三组")
        for ctx in self.branches:
            branch = ctx.branch
            created.append(person(branch, (Role.GM,), "管理层", salary=20000 + 1000 * rng.randrange(5)))
            created.append(person(branch, (Role.DEPUTY_GM,), "管理层", salary=15000 + 500 * rng.randrange(5)))
            created.append(person(branch, (Role.MANAGER,), "保险部", salary=9000 + 500 * rng.randrange(4)))
            lead = person(branch, (Role.LEAD,), "保险部", salary=7000 + 500 * rng.randrange(3))
            ctx.lead = lead.pk
            created.append(lead)
            created.append(person(branch, (Role.ADMIN,), "信息部", salary=6000 + 500 * rng.randrange(3)))
            for team in specialist_teams:
                for position in range(2):
                    staff = person(branch, (Role.SPECIALIST,), team, position == 0, 4200 + 100 * rng.randrange(14))
                    ctx.specialists.append(staff.pk)
                    created.append(staff)
            for position in range(2):
                staff = person(branch, (Role.CALLBACK,), "回访组", position == 0, 3800 + 100 * rng.randrange(8))
                ctx.callbacks.append(staff.pk)
                created.append(staff)
            for team, roles in (("售后服务组", (Role.SELLER,)), ("售后服务组", (Role.SELLER, Role.CALLBACK)),
                                ("销售组", (Role.SELLER,)), ("销售组", (Role.SELLER,))):  # fmt: skip
                leader = not any(s.team == team and s.branch_id == branch.pk for s in created)
                staff = person(branch, roles, team, leader, 4500 + 100 * rng.randrange(16))
                ctx.sellers.append(staff.pk)
                if Role.CALLBACK in roles:
                    ctx.callbacks.append(staff.pk)
                created.append(staff)
        # One slow hash for everyone: demo logins share the password, so they may share its salt too.
        get_user_model().objects.filter(pk__in=[s.user_id for s in created]).update(
            password=make_password(DEMO_PASSWORD)
        )
        self.summary.staff = len(created)

    # -- one chunk of vehicles, written together

    def _chunk(self) -> None:
        self.customers: list[tuple] = []
        self.vehicles: list[tuple] = []
        self.terms: list[tuple] = []
        self.policies: list[tuple] = []
        self.retained: list[tuple] = []
        made = 0
        while made < CHUNK_VEHICLES and self.summary.policies < self.target:
            self._insured_vehicle()
            made += 1
        retained = round(made * RETAINED_PER_VEHICLE)
        if self.summary.policies >= self.target:  # top up to the share over the whole run, not just this chunk
            retained = max(0, round(self.insured_vehicles * RETAINED_PER_VEHICLE) - self.summary.retained)
        for _ in range(retained):
            self._retained_vehicle()
        write_rows(CUSTOMER, self.customers)
        write_rows(VEHICLE, self.vehicles)
        write_rows(TERM, self.terms)
        write_rows(POLICY, self.policies)
        write_rows(RETAINED, self.retained)
        reset_queries()  # with DEBUG on, Django logs every query: keep the log (and memory) to one chunk
        self.summary.customers += len(self.customers)
        self.summary.vehicles += len(self.vehicles)

    # -- people

    def _person_name(self) -> str:
        rng = self.rng
        surname = rng.choices(SURNAMES, cum_weights=_SURNAME_CUM)[0]
        given = rng.choice(GIVEN_CHARS) + (rng.choice(GIVEN_CHARS) if rng.random() < 0.72 else "")
        return surname + given

    def _customer(self, ctx: _BranchCtx, consent_from: date) -> int:
        rng = self.rng
        pk = self.ids[Customer]()
        self.customer_index += 1
        mobile = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
        id_masked, id_hash = "", None
        if rng.random() < 0.03:
            name = f"{ctx.spec.city}{rng.choice(COMPANY_WORDS)}{rng.choice(COMPANY_TRADES)}有限公司"
        else:
            name = self._person_name()
            if rng.random() < 0.7:
                id_number = self._id_number(ctx.spec.area_code)
                id_masked, id_hash = mask_id_number(id_number), customer_id_hash(id_number)
        consent = rng.random() < 0.62
        consent_on = None
        if consent:
            consent_on = min(self.today, consent_from + timedelta(days=rng.randrange(0, 30)))
        self.customers.append((pk, name, mobile, mobile[-4:], id_masked, id_hash, consent, consent_on, self.now))
        return pk

    def _id_number(self, area_code: str) -> str:
        """A valid 居民身份证号, unique per customer: (birth date, sequence) is a bijection of the customer index."""
        code = (self.customer_index * 7919 + self.id_offset) % 14_610_000
        birth = date(1960, 1, 1) + timedelta(days=code // 1000)
        body = f"{area_code}{birth:%Y%m%d}{code % 1000:03d}"
        total = sum(int(char) * weight for char, weight in zip(body, _ID_WEIGHTS, strict=True))
        return body + "10X98765432"[total % 11]

    # -- vehicles

    def _vehicle(self, ctx: _BranchCtx, owner: int, registered: date, latest: date) -> tuple[int, CarModel]:
        rng = self.rng
        model = rng.choices(CAR_MODELS, cum_weights=_MODEL_CUM)[0]
        pk = self.ids[Vehicle]()
        registered = min(max(registered, date(model.since, 3, 1)), latest)  # not before the model's launch
        model_year = min(registered.year + (registered.month >= 10), self.today.year + 1)  # autumn launches
        vin = self._vin(model, model_year)
        self.vehicle_index += 1
        plate = self._plate(ctx, model.new_energy)
        if registered > self.today - timedelta(days=10) and rng.random() < 0.5:
            plate = ""  # a new car without its plate yet
        engine_no = "".join(rng.choices(PLATE_LETTERS, k=3)) + f"{rng.randrange(1_000_000):06d}"
        name = f"{model.brand} {model.series} {model_year}款 {rng.choice(model.trims)}"
        self.vehicles.append((pk, vin, plate, engine_no, name, registered, model.new_energy, owner))
        return pk, model

    def _vin(self, model: CarModel, year: int) -> str:
        rng = self.rng
        code = (self.vehicle_index * 7919 + self.vin_offset) % _VIN_SERIAL_SPACE
        body = (
            rng.choice(model.wmis)
            + "".join(rng.choices(VIN_CHARS, k=5))
            + "0"
            + _MODEL_YEAR_CODES[max(2010, min(2030, year))]
            + _PLANT_CHARS[code // 1_000_000]
            + f"{code % 1_000_000:06d}"
        )
        return body[:8] + vin_check_digit(body) + body[9:]

    def _plate(self, ctx: _BranchCtx, new_energy: bool) -> str:
        rng = self.rng
        prefix = rng.choice(ctx.spec.plate_prefixes)
        if new_energy:  # small new-energy cars: D (battery) or F (hybrid) first, then five
            head = rng.choice("DF")
            first = rng.choice(PLATE_LETTERS) if rng.random() < 0.3 else rng.choice(PLATE_DIGITS)
            return prefix + head + first + "".join(rng.choices(PLATE_DIGITS, k=4))
        pattern = rng.choice(_PLATE_PATTERNS)
        letters, digits = rng.choices(PLATE_LETTERS, k=5), rng.choices(PLATE_DIGITS, k=5)
        return prefix + "".join(letters[i] if c == "L" else digits[i] for i, c in enumerate(pattern))

    # -- a vehicle with policies

    def _insured_vehicle(self) -> None:
        rng = self.rng
        today = self.today
        ctx = rng.choices(self.branches, cum_weights=self.branch_cum)[0]
        start = self.window_start + timedelta(days=rng.randrange(self.window_days + 1))
        new_car = rng.random() < 0.3
        registered = start - timedelta(days=rng.randrange(0, 6) if new_car else rng.randrange(365, 8 * 365))
        owner = self._customer(ctx, start)
        vehicle, model = self._vehicle(ctx, owner, registered, start)
        kinds = rng.choices(((COMPULSORY, COMMERCIAL), (COMPULSORY,), (COMMERCIAL,)), (88, 9, 3))[0]
        first = self._first_term(ctx, vehicle, owner, model, start, kinds)
        self.insured_vehicles += 1

        # What happened at the end of the first term.
        if first.t_date < today:
            roll = rng.random()
            if roll < ctx.spec.renewal_rate:
                self._renewal(ctx, vehicle, owner, model, first, gap_days=0)
                return
            if roll < ctx.spec.renewal_rate + LAPSED_SHARE:
                gap = rng.randint(1, 30)
                if first.last_end + timedelta(days=1 + gap) <= today:
                    self._renewal(ctx, vehicle, owner, model, first, gap_days=gap)
                    return
            self.summary.losses += 1
        elif (
            first.t_date <= today + timedelta(days=EARLY_RENEWAL_HORIZON_DAYS)
            and first.t_date - timedelta(days=ctx.spec.advance_days) <= today
            and rng.random() < EARLY_RENEWAL_SHARE
        ):
            self._renewal(ctx, vehicle, owner, model, first, gap_days=0)
            self.summary.early_renewals += 1

    def _first_term(self, ctx, vehicle, owner, model, start: date, kinds: tuple[str, ...]) -> _TermDone:
        rng = self.rng
        insurer = self._insurer()
        full = rng.random() < 0.8
        plans = []
        for kind in kinds:
            kind_start = start
            if len(kinds) == 2 and kind == COMPULSORY and rng.random() < 0.15:
                kind_start = start + timedelta(days=rng.randint(-20, 20))  # 交强 bought at another time
            plans.append(self._plan(kind, insurer, kind_start, model, full=full))
        signed = None if rng.random() < 0.02 else start - timedelta(days=rng.randrange(0, 6))
        channel = "telesales" if rng.random() < 0.25 else "store"
        credits = (
            rng.choice(ctx.callbacks) if rng.random() < 0.3 else None,
            rng.choice(ctx.sellers) if rng.random() < 0.85 else None,
            ctx.lead if rng.random() < 0.5 else None,
        )
        return self._term(ctx, vehicle, owner, plans, signed, channel, credits, previous=None)

    def _renewal(self, ctx, vehicle, owner, model, previous: _TermDone, *, gap_days: int) -> None:
        rng = self.rng
        today = self.today
        if rng.random() < 0.02:  # renewed at a sister branch
            ctx = rng.choice(self.branches)
        if rng.random() < 0.03:  # the car changed hands: a new owner renews it
            owner = self._customer(ctx, previous.last_end)
            self.vehicles[-1] = (*self.vehicles[-1][:-1], owner)  # the vehicle row is still this chunk's last
        kinds = tuple(previous.policies)
        if kinds == (COMPULSORY,) and rng.random() < 0.3:
            kinds = (COMPULSORY, COMMERCIAL)
        elif len(kinds) == 2 and rng.random() < 0.05:
            kinds = (COMPULSORY,)
        old_insurer = next(iter(previous.policies.values()))[1].insurer
        insurer = old_insurer if rng.random() < 0.75 else self._insurer()
        old_commercial = previous.policies.get(COMMERCIAL)
        full = old_commercial[1].has_vehicle_damage if old_commercial and rng.random() < 0.85 else rng.random() < 0.8
        plans = []
        for kind in kinds:
            same_kind = previous.policies.get(kind)
            if gap_days:
                kind_start = previous.last_end + timedelta(days=1 + gap_days)
            elif same_kind:
                kind_start = same_kind[1].end_on + timedelta(days=1)
            else:
                kind_start = min(plan.end_on for _, plan in previous.policies.values()) + timedelta(days=1)
            plan = self._plan(kind, insurer, kind_start, model, full=full)
            if old_commercial and kind == COMMERCIAL:
                factor = Decimal(str(round(rng.uniform(0.88, 1.06), 3)))
                plan.premium = min(max(old_commercial[1].premium * factor, Decimal(2000)), Decimal(9000)).quantize(
                    Decimal("0.01")
                )
            if rng.random() < 0.9:  # 上年保单号, as the insurer's renewal notice prints it
                named = same_kind or next(iter(previous.policies.values()))
                plan.previous_policy_no = named[0]
            plans.append(plan)
        start = min(plan.start_on for plan in plans)
        if gap_days:
            signed = min(today, start - timedelta(days=rng.randrange(0, 2)))
        else:
            earliest = previous.t_date - timedelta(days=ctx.spec.advance_days)
            signed = max(earliest, min(today, start - timedelta(days=rng.randint(1, 40))))
            if previous.t_date >= today:  # renewed early: signed in the last month, never before the earliest day
                signed = max(earliest, today - timedelta(days=rng.randrange(0, 31)))
        telesales = rng.random() < 0.25
        credits = (
            rng.choice(ctx.callbacks) if rng.random() < (0.9 if telesales else 0.55) else None,
            rng.choice(ctx.sellers) if rng.random() < (0.3 if telesales else 0.75) else None,
            ctx.lead if rng.random() < 0.9 else None,
        )
        self._term(ctx, vehicle, owner, plans, signed, "telesales" if telesales else "store", credits, previous)

    def _insurer(self) -> int:
        return self.rng.choices(range(len(INSURERS)), cum_weights=self.insurer_cum)[0]

    def _plan(self, kind: str, insurer: int, start: date, model: CarModel, *, full: bool) -> _PolicyPlan:
        rng = self.rng
        end = add_months(start, 12) - timedelta(days=1)
        if kind == COMPULSORY:
            base = Decimal(1100 if model.seats >= 6 else 950)
            factor = rng.choices(*zip(*_COMPULSORY_FACTORS, strict=True))[0]
            return _PolicyPlan(kind, insurer, start, end, (base * factor).quantize(Decimal("0.01")), [], False, None)
        low, high = model.premium
        if full:
            limit = rng.choices(*zip(*_THIRD_PARTY_LIMITS, strict=True))[0]
            coverages = ["车损险", f"三者险({limit // 10_000}万)", "车上人员(司机)", "车上人员(乘客)"]
            coverages += [rider for rider in _RIDERS if rng.random() < 0.35]
            premium = rng.uniform(low, high)
            has_damage = True
        else:
            style = rng.random()
            if style < 0.6:  # third party only, at a useful limit
                limit = rng.choice((1_000_000, 1_500_000, 2_000_000, 3_000_000))
                coverages, has_damage = [f"三者险({limit // 10_000}万)", "车上人员(司机)"], False
            elif style < 0.85:  # own damage, but a low third-party limit: not 全保
                limit = 500_000
                coverages, has_damage = ["车损险", "三者险(50万)"], True
            else:
                limit = 500_000
                coverages, has_damage = ["三者险(50万)", "车上人员(司机)"], False
            premium = rng.uniform(max(2000, low * 0.55), max(2100, low * 0.85))
        premium_decimal = Decimal(f"{min(max(premium, 2000), 9000):.2f}")
        return _PolicyPlan(kind, insurer, start, end, premium_decimal, coverages, has_damage, limit)

    def _term(self, ctx, vehicle, owner, plans, signed, channel, credits, previous: _TermDone | None) -> _TermDone:
        """Write a term's policies and its vehicle-term row, as rebuild_terms would derive it."""
        rng = self.rng
        pk = self.ids[VehicleTerm]()
        follow_up = rng.choice(ctx.specialists) if rng.random() < 0.85 else None
        callback, seller, lead = credits
        branch_id = ctx.branch.pk
        by_kind: dict[str, tuple[str, _PolicyPlan]] = {}
        for plan in plans:
            self.policy_serial += 1
            _, commercial_prefix, compulsory_prefix, _ = INSURERS[plan.insurer]
            prefix = commercial_prefix if plan.kind == COMMERCIAL else compulsory_prefix
            policy_no = f"{prefix}{plan.start_on.year}{ctx.spec.area_code[:4]}{self.policy_serial:010d}"
            by_kind[plan.kind] = (policy_no, plan)
            self.policies.append((
                self.ids[Policy](), self.insurer_ids[plan.insurer], policy_no, plan.kind, branch_id, vehicle, pk,
                owner, signed, plan.start_on, plan.end_on, plan.premium, plan.coverages, plan.has_vehicle_damage,
                plan.third_party_limit, channel, callback, seller, lead, follow_up, plan.previous_policy_no, None,
                self.now, self.now,
            ))  # fmt: skip
            self.summary.policies += 1
            self.summary.policies_by_kind[plan.kind] += 1
        start_on = min(plan.start_on for plan in plans)
        t_date = min(plan.end_on for plan in plans)
        last_end = max(plan.end_on for plan in plans)
        lead_plan = by_kind.get(COMMERCIAL, by_kind.get(COMPULSORY))[1]
        compulsory = by_kind.get(COMPULSORY)
        commercial = by_kind.get(COMMERCIAL)
        full_cover = bool(compulsory) and bool(
            commercial
            and commercial[1].has_vehicle_damage
            and (commercial[1].third_party_limit or 0) >= FULL_COVER_MIN_THIRD_PARTY
        )
        kind = "new"
        if previous is not None:
            kind = renewal_kind(start_on=start_on, previous_last_end=previous.last_end)
            assert kind != "new", "the generator only links renewals"
        self.terms.append((
            pk, vehicle, branch_id, owner, start_on, t_date, last_end, signed or lead_plan.start_on, channel,
            callback, seller, lead, follow_up, compulsory is not None, commercial is not None,
            compulsory[1].premium if compulsory else Decimal("0.00"),
            commercial[1].premium if commercial else Decimal("0.00"),
            full_cover, previous.pk if previous else None, kind, None,
        ))  # fmt: skip
        self.summary.terms += 1
        self.summary.terms_by_kind[kind] += 1
        return _TermDone(pk=pk, t_date=t_date, last_end=last_end, policies=by_kind)

    # -- a 保有客户 row: a vehicle the workshop keeps, insured elsewhere

    def _retained_vehicle(self) -> None:
        rng = self.rng
        today = self.today
        ctx = rng.choices(self.branches, cum_weights=self.branch_cum)[0]
        registered = today - timedelta(days=rng.randrange(400, 9 * 365))
        customer = self._customer(ctx, today - timedelta(days=rng.randrange(30, 400)))
        vehicle, _ = self._vehicle(ctx, customer, registered, today)
        expected_end = None
        if rng.random() >= 0.05:
            expected_end = today + timedelta(days=rng.randint(-30, 330))
        case_day = expected_end or today
        roll = rng.random()
        insurer_name, policy_no, returned = "", "", None
        if roll < 0.35:  # category 2: the previous policy is known
            insurer_name = rng.choice([name for name, *_ in INSURERS] + list(OTHER_INSURERS))
            policy_no = f"{rng.choice('ABCDP')}{case_day.year - 1}{rng.randrange(10**12):012d}"
            if rng.random() < 0.5:
                returned = today - timedelta(days=rng.randrange(10, 600))
        elif roll < 0.62:  # category 4: back in the workshop within two years of the case date
            returned = min(today, case_day - timedelta(days=rng.randrange(5, 600)))
            if rng.random() < 0.3:
                insurer_name = rng.choice(OTHER_INSURERS)  # insurer known but not the policy number: still 4
        else:  # category 3: a phone number and little else
            if rng.random() < 0.4:
                returned = case_day - timedelta(days=rng.randrange(900, 1600))  # too long ago to count
            if rng.random() < 0.3:
                insurer_name = rng.choice(OTHER_INSURERS)
        category = 2 if insurer_name and policy_no else (4 if returned and (case_day - returned).days <= 730 else 3)
        follow_up = rng.choice(ctx.specialists) if rng.random() < 0.5 else None
        self.retained.append((
            self.ids[RetainedCustomer](), ctx.branch.pk, vehicle, customer, returned, insurer_name, policy_no,
            expected_end, follow_up, self.now,
        ))  # fmt: skip
        self.summary.retained += 1
        self.summary.retained_by_category[category] += 1
        self.summary.retained_without_expiry += expected_end is None
