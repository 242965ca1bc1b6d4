"""`bonus_preview` (DESIGN.md operator contract): the scheme's examples, band edges, the reason key, refusals."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from incentives.models import RuleVersion
from incentives.rules import default_ruleset, ruleset_to_dict

pytestmark = pytest.mark.django_db


def preview(*args: str) -> dict:
    out = io.StringIO()
    call_command("bonus_preview", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # The seed's own examples (DOMAIN.md §7 BONUS).
        (["--renewable", "200", "--renewed", "100", "--full-cover-rate", "0.9"], ("1", "0.6", "1200.00")),
        (["--renewable", "200", "--renewed", "121", "--full-cover-rate", "0.9"], ("1", "1.5", "3000.00")),
        (["--renewable", "200", "--renewed", "100", "--full-cover", "90"], ("1", "0.6", "1200.00")),
        # Band edges of B: 30% is in the linear band (0.4), just below it 0; 60% exactly 1.0; 70% still 1.5.
        (["--renewable", "100", "--renewed", "30", "--full-cover-rate", "1"], ("1.5", "0.4", "1200.00")),
        (["--renewable", "100", "--renewed", "29", "--full-cover-rate", "1"], ("1.5", "0", "0.00")),
        (["--renewable", "100", "--renewed", "60", "--full-cover-rate", "1"], ("1.5", "1", "3000.00")),
        (["--renewable", "100", "--renewed", "61", "--full-cover-rate", "1"], ("1.5", "1.5", "4500.00")),
        (["--renewable", "100", "--renewed", "70", "--full-cover-rate", "1"], ("1.5", "1.5", "4500.00")),
        (["--renewable", "100", "--renewed", "71", "--full-cover-rate", "1"], ("1.5", "1.8", "5400.00")),
        # Band edges of A: below 70% nothing, 70% → 0.7, 90% exactly 1.0, above 90% 1.5.
        (["--renewable", "100", "--renewed", "60", "--full-cover", "41"], ("0", "1", "0.00")),
        (["--renewable", "100", "--renewed", "60", "--full-cover", "42"], ("0.7", "1", "1400.00")),
        (["--renewable", "100", "--renewed", "60", "--full-cover-rate", "0.91"], ("1.5", "1", "3000.00")),
        # Non-terminating coefficients: 6 places, the amount from the exact product (the mock-up's 黄磊).
        (["--renewable", "36", "--renewed", "19", "--full-cover", "16"], ("0.842105", "0.627778", "1057.31")),
        # A base given on the command line.
        (
            ["--renewable", "200", "--renewed", "100", "--full-cover-rate", "0.9", "--base", "2500"],
            ("1", "0.6", "1500.00"),
        ),
    ],
)
def test_bonus_preview_amounts(args, expected):
    result = preview(*args)
    assert (result["coefficient_a"], result["coefficient_b"], result["amount"]) == expected
    assert result["rule_version"] == "v1"
    assert "reason" not in result


def test_output_has_exactly_the_contract_keys():
    result = preview("--renewable", "200", "--renewed", "100", "--full-cover-rate", "0.9")
    assert list(result) == ["coefficient_a", "coefficient_b", "amount", "rule_version"]


def test_no_renewable_base_pays_zero_with_a_reason_key():
    result = preview("--renewable", "0", "--renewed", "0", "--full-cover", "0")
    assert result["amount"] == "0.00"
    assert result["reason"] == "no renewable base"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--renewable", "10", "--renewed", "11", "--full-cover", "0"], "续回 11 不能大于可续 10"),
        (["--renewable", "10", "--renewed", "5", "--full-cover", "6"], "全保 6 不能大于续回 5"),
        (["--renewable", "10", "--renewed", "5", "--full-cover-rate", "1.2"], "全保率 1.2 应在 0 到 1 之间"),
        (["--renewable", "10", "--renewed", "5", "--full-cover-rate", "-0.1"], "应在 0 到 1 之间"),
        (["--renewable", "-1", "--renewed", "0", "--full-cover", "0"], "不能为负数"),
        (["--renewable", "10", "--renewed", "5", "--full-cover-rate", "abc"], "不是有效数字"),
        (["--renewable", "10", "--renewed", "5", "--full-cover", "1", "--branch", "NOPE"], "没有门店编码为 NOPE"),
    ],
)
def test_impossible_inputs_are_refused_in_chinese(args, message):
    with pytest.raises(CommandError, match=message):
        preview(*args)


def test_the_version_in_force_on_the_date_is_used(django_user_model):
    from tests.factories import make_branch

    branch = make_branch("CD01", programme_start=date(2026, 3, 1))
    rules = ruleset_to_dict(default_ruleset())
    rules["bonus_base"] = "3000"
    RuleVersion.objects.create(label="v7", branch=branch, effective_from=date(2026, 6, 1), rules=rules,
                               state="published", published_at="2026-05-20T10:00:00+08:00")  # fmt: skip
    args = ["--renewable", "200", "--renewed", "100", "--full-cover-rate", "0.9", "--branch", "CD01"]
    assert preview(*args, "--date", "2026-05-31")["amount"] == "1200.00"
    after = preview(*args, "--date", "2026-06-01")
    assert (after["amount"], after["rule_version"]) == ("1800.00", "v7")


@pytest.mark.django_db(transaction=True)
def test_bonus_preview_as_a_process_exits_non_zero_on_impossible_input():
    """The real command line (exit codes, stdout) against the test database."""
    from django.db import connection

    env = {**os.environ, "DJANGO_DEBUG": "True", "DJANGO_SETTINGS_MODULE": "tests.settings"}
    settings_dict = connection.settings_dict
    if settings_dict["ENGINE"].endswith("sqlite3"):
        env["DATABASE_URL"] = f"sqlite:///{settings_dict['NAME']}"
    else:
        env["DATABASE_URL"] = (
            f"postgres://{settings_dict['USER']}@{settings_dict['HOST']}:{settings_dict['PORT']}/{settings_dict['NAME']}"
        )
    if "memory" in str(settings_dict["NAME"]):
        pytest.skip("an in-memory SQLite database cannot be shared with a subprocess")
    command = [sys.executable, "manage.py", "bonus_preview", "--skip-checks", "--json"]
    ok = subprocess.run([*command, "--renewable", "200", "--renewed", "121", "--full-cover-rate", "0.9"],
                        capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout.strip().splitlines()[-1])["amount"] == "3000.00"
    bad = subprocess.run([*command, "--renewable", "10", "--renewed", "11", "--full-cover", "0"],
                         capture_output=True, text=True, env=env, check=False)  # fmt: skip
    assert bad.returncode != 0
    assert "续回 11 不能大于可续 10" in bad.stderr
