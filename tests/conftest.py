import os
import shutil

import pytest

# Playwright runs an event loop in the test thread; Django must allow sync DB calls there (TOOLCHAIN.md).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    except ImproperlyConfigured:  # pure tests run with -p no:django
        on_postgres = False
    have_browser = os.path.exists(CHROMIUM)
    require_browser = os.environ.get("REQUIRE_BROWSER") == "1"
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))
        if "browser" in item.keywords and not have_browser and not require_browser:
            item.add_marker(pytest.mark.skip(reason="needs Debian's chromium (apt-get install chromium)"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run", "--disable-quic",
        ],
    }  # fmt: skip


@pytest.fixture(autouse=True)
def _media_root(request, tmp_path):
    if not request.config.pluginmanager.hasplugin("django"):
        return  # pure tests run with -p no:django
    settings = request.getfixturevalue("settings")
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.REPORTS_DIR = tmp_path / "media" / "reports"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")


@pytest.fixture
def branch(db):
    from tests.factories import make_branch

    return make_branch("BJ01", name="北京亚运村店", city="北京")


@pytest.fixture
def staff_by_role(db, branch):
    """One login per role in `branch` (division and finance see all branches)."""
    from renewal_desk.roles import Role
    from tests.factories import make_staff

    return {role: make_staff(branch, role, employee_no=f"T{index:03d}") for index, role in enumerate(Role.values, 1)}
