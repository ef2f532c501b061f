"""`run_self_test` in-process against the dev tree: one line per check, all required pass."""

from __future__ import annotations

import io

from pytestqt.qtbot import QtBot

from kimai_tray.core.diagnostics import CheckResult
from kimai_tray.selftest import Check, Status, _from_doctor, run_self_test


def test_self_test_prints_one_line_per_check_and_matching_exit_code(qtbot: QtBot) -> None:
    out = io.StringIO()
    code = run_self_test(out)
    lines = out.getvalue().splitlines()
    checks = [line for line in lines[:-1] if line.split()[0] in {"OK", "WARNING", "FAIL"}]
    assert len(checks) == len(lines) - 1  # nothing but check lines before the summary
    assert any(line.startswith("OK      qt-platform:") for line in checks)
    assert any(line.startswith("OK      svg-icons:") for line in checks)
    assert any(
        line.startswith("OK      doctor/catalog:") for line in checks
    )  # real HTTP round trip
    assert any(" keyring:" in line for line in checks)
    assert not any(line.startswith("FAIL") for line in checks)
    assert code == 0
    assert lines[-1] == f"self-test: passed ({len(checks)} checks)"


def test_doctor_results_map_to_ok_and_fail() -> None:
    assert _from_doctor(CheckResult("user", True, "logged in as anna")) == Check(
        "doctor/user", Status.OK, "logged in as anna"
    )
    assert _from_doctor(CheckResult("kimai", False, "not Kimai")).status is Status.FAIL


def test_check_line_is_aligned_and_readable() -> None:
    assert Check("x", Status.WARNING, "y").line() == "WARNING x: y"
    assert Check("x", Status.OK, "y").line() == "OK      x: y"
