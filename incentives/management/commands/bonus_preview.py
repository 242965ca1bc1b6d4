"""`bonus_preview`: the specialist bonus (系数奖金) for given counts under the rules in force (DESIGN.md contract)."""

from __future__ import annotations

import json
import math
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from incentives.rules import coefficient, specialist_bonus
from incentives.services import rules_in_force
from policies.models import Branch

PLACES = 6


def decimal_text(value: Fraction) -> str:
    """Exact when the decimal expansion terminates ('0.6', '1'), else half-up to 6 places ('0.627778')."""
    rest = value.denominator
    for prime in (2, 5):
        while rest % prime == 0:
            rest //= prime
    if rest == 1:  # terminates: write every digit
        places = 0
        while (value * 10**places).denominator != 1:
            places += 1
        return format(Decimal((value * 10**places).numerator).scaleb(-places), "f")
    scale = 10**PLACES
    scaled = math.floor(abs(value) * scale + Fraction(1, 2))
    return ("-" if value < 0 else "") + f"{scaled // scale}.{scaled % scale:0{PLACES}d}"


class Command(BaseCommand):
    help = "按当前生效规则预览续保专员系数奖金（base × B × A）。"

    def add_arguments(self, parser):
        parser.add_argument("--renewable", type=int, required=True, help="可续")
        parser.add_argument("--renewed", type=int, required=True, help="续回")
        cover = parser.add_mutually_exclusive_group(required=True)
        cover.add_argument("--full-cover", type=int, help="全保续回单数")
        cover.add_argument("--full-cover-rate", help="全保率，精确小数，如 0.9")
        parser.add_argument("--base", help="奖金基数（默认取规则版本，2000）")
        parser.add_argument("--date", help="规则生效日期 YYYY-MM-DD（默认今天）")
        parser.add_argument("--branch", help="门店编码（默认事业部规则）")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args, **options):
        renewable, renewed, full_cover = options["renewable"], options["renewed"], options["full_cover"]
        if renewable < 0 or renewed < 0 or (full_cover is not None and full_cover < 0):
            raise CommandError("可续、续回和全保单数都不能为负数。")
        if renewed > renewable:
            raise CommandError(f"续回 {renewed} 不能大于可续 {renewable}。")
        if full_cover is not None and full_cover > renewed:
            raise CommandError(f"全保 {full_cover} 不能大于续回 {renewed}。")
        rate = None
        if options["full_cover_rate"] is not None:
            rate = _exact(options["full_cover_rate"], "全保率")
            if not 0 <= rate <= 1:
                raise CommandError(f"全保率 {options['full_cover_rate']} 应在 0 到 1 之间。")
        base = None
        if options["base"] is not None:
            _exact(options["base"], "奖金基数")
            base = Decimal(options["base"].strip())
            if base < 0:
                raise CommandError("奖金基数不能为负数。")
        on = _date(options["date"]) if options["date"] else timezone.localdate()
        branch = None
        if options["branch"]:
            branch = Branch.objects.filter(code=options["branch"].strip()).first()
            if branch is None:
                raise CommandError(f"没有门店编码为 {options['branch']} 的门店。")
        rules, version = rules_in_force(branch=branch, on=on)
        try:
            result = specialist_bonus(
                renewable=renewable,
                renewed=renewed,
                full_cover=full_cover,
                full_cover_rate=rate,
                rules=rules,
                base=base,
                rule_version=version.label,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        coefficient_b = result.coefficients.get("B")
        coefficient_a = result.coefficients.get("A")
        if coefficient_b is None and renewable:  # no renewals: r = 0 sits in the first band
            coefficient_b = coefficient(Fraction(0), rules.achievement_bands).value
        if coefficient_a is None and rate is not None:
            coefficient_a = coefficient(rate, rules.full_cover_bands).value
        output = {
            "coefficient_a": decimal_text(coefficient_a or Fraction(0)),
            "coefficient_b": decimal_text(coefficient_b or Fraction(0)),
            "amount": f"{result.amount:.2f}",
            "rule_version": version.label,
        }
        if renewable == 0:
            output["reason"] = "no renewable base"
        if options["json"]:
            self.stdout.write(json.dumps(output, ensure_ascii=False))
        else:
            reason = f"（{result.reason.text}）" if result.reason else ""
            self.stdout.write(
                f"系数奖金 {output['amount']} = {result.formula}{reason}；B = {output['coefficient_b']}，"
                f"A = {output['coefficient_a']}；规则 {version.label}"
            )


def _exact(text: str, what: str) -> Fraction:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError) as error:
        raise CommandError(f"{what}“{text}”不是有效数字。") from error
    if not value.is_finite():
        raise CommandError(f"{what}“{text}”不是有效数字。")
    return Fraction(value)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise CommandError(f"日期“{text}”格式应为 YYYY-MM-DD。") from error
