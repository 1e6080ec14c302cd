"""scripts/check_production.py: the production build (collectstatic, check --deploy) and one page served by
gunicorn with DEBUG=0. The same check runs in .ci/run (`make check-production`)."""

import importlib.util
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "check_production.py"


def load_script():
    spec = importlib.util.spec_from_file_location("check_production", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_production_build_serves_the_sign_in_page_and_its_static_files():
    check = load_script()
    try:
        report = check.check_production()
    except check.CheckFailed as exc:  # the reason, in full, as the test's failure
        pytest.fail(str(exc))
    assert any(line.startswith("GET /login/ -> 200") for line in report)
    assert any(line.startswith("GET /static/css/app.") and line.endswith("-> 200") for line in report)


def test_the_production_environment_turns_debug_and_test_mode_off(tmp_path, monkeypatch):
    monkeypatch.setenv("CSP_TESTING", "1")
    monkeypatch.setenv("DEBUG", "1")
    env = load_script().production_env(tmp_path)
    assert env["DEBUG"] == "0" and "CSP_TESTING" not in env and env["STATIC_ROOT"] == str(tmp_path)
    assert len(env["SECRET_KEY"]) >= 50 and "127.0.0.1" in env["ALLOWED_HOSTS"]
