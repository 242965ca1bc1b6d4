"""Production settings are secure by default and fail closed."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy():
    result = run_manage(
        "check", "--deploy", "--fail-level", "WARNING",
        DJANGO_SECRET_KEY="k" * 20 + "-a-long-and-random-production-secret-value-0123456789",
        DJANGO_ALLOWED_HOSTS="desk.example.com", DJANGO_SETTINGS_MODULE="renewal_desk.settings",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_a_secret_key_and_debug_off_the_app_refuses_to_start():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="renewal_desk.settings")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is required" in result.stderr
