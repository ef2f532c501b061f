"""`kimai-tray import-csv` as a subprocess against the real Kimai 2 simulator over HTTP."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from cli.cli_support import Cli
from helpers.simulator_fixtures import PLAIN_TOKEN, SIMULATOR_TOKEN, SimulatorFactory
from kimai_tray.import_csv_command import ProgressBar
from kimai_tray.simulator.server import SimulatorServer

CUSTOMERS = [f"Customer {i:02d}" for i in range(10)]
PROJECTS = ["Website", "Support", "Migration"]
ACTIVITIES = ["Design", "Development", "Meetings", "Testing"]
DISTINCT = {(c, p, a) for c in CUSTOMERS for p in PROJECTS for a in ACTIVITIES}  # 120


@dataclass(frozen=True)
class CsvFile:
    path: Path
    invalid_lines: tuple[int, ...]
    data_lines: int


def write_big_csv(path: Path, sep: str, *, bom: bool) -> CsvFile:
    """~500 lines: every distinct triple 4 times (case and spacing varied), blanks, 3 bad lines."""
    triples = sorted(DISTINCT)
    lines = [f"customer{sep} Project {sep}ACTIVITY"]  # header names in any case and spacing
    invalid: list[int] = []
    for n in range(4):
        for i, (c, p, a) in enumerate(triples):
            if n == 1:
                c = c.upper()  # the same customer to a human: no duplicate in Kimai
            if n == 2:
                p = f"  {p} "
            lines.append(sep.join((c, p, a)))
            if i % 40 == 0:
                lines.append("")  # blank lines are skipped, not errors
            if n == 3 and i in (10, 60, 110):
                bad = {
                    10: sep.join((c, "", a)),  # no project
                    60: sep.join((c, p, "  ")),  # activity only blanks
                    110: c,  # too few columns
                }[i]
                lines.append(bad)
                invalid.append(len(lines))  # 1-based number of the line just added
    text = "\n".join(lines) + "\n"
    path.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")
    assert 490 <= len(lines) <= 510
    return CsvFile(path, tuple(invalid), len(lines))


def catalog(server: SimulatorServer) -> set[tuple[str, str, str]]:
    st = server.state
    with st.lock:
        out = set()
        for a in st.activities.values():
            assert a.project is not None, "the import only creates project activities"
            project = st.projects[a.project]
            customer = st.customers[project.customer]
            assert a.visible and project.visible and customer.visible
            assert project.global_activities
            out.add((customer.name, project.name, a.name))
        return out


def counts(server: SimulatorServer) -> tuple[int, int, int]:
    st = server.state
    with st.lock:
        return len(st.customers), len(st.projects), len(st.activities)


def login(cli: Cli, server: SimulatorServer, token: str = SIMULATOR_TOKEN) -> None:
    result = cli.run("login", "--url", server.url, stdin=token + "\n")
    assert result.returncode == 0, result.stderr


def failed_lines(stdout: str) -> list[int]:
    return [
        int(line.split()[1].rstrip(":"))
        for line in stdout.splitlines()
        if line.startswith("  line ")
    ]


def test_big_csv_creates_exactly_the_distinct_items_once(
    cli: Cli, empty_simulator: SimulatorServer, tmp_path: Path
) -> None:
    login(cli, empty_simulator)
    csv_file = write_big_csv(tmp_path / "team.csv", ",", bom=True)

    first = cli.run("import-csv", str(csv_file.path), timeout=300)
    assert first.returncode == 1, first.stderr  # the 3 invalid lines
    assert catalog(empty_simulator) == DISTINCT
    assert counts(empty_simulator) == (10, 30, 120)
    assert "Created 10 customer(s), 30 project(s), 120 activity(ies)." in first.stdout
    assert failed_lines(first.stdout) == list(csv_file.invalid_lines)
    assert "Project empty" in first.stdout and "Activity empty" in first.stdout

    second = cli.run("import-csv", str(csv_file.path), timeout=300)
    assert second.returncode == 1
    assert "Created 0 customer(s), 0 project(s), 0 activity(ies)." in second.stdout
    assert f"Already present: {csv_file.data_lines - 1 - 3 - 3 * 4} line(s)." in second.stdout
    assert counts(empty_simulator) == (10, 30, 120)

    # The same data with semicolons and no BOM names the same items: still nothing new.
    semi = write_big_csv(tmp_path / "team-semicolon.csv", ";", bom=False)
    third = cli.run("import-csv", str(semi.path), timeout=300)
    assert "Created 0 customer(s), 0 project(s), 0 activity(ies)." in third.stdout
    assert failed_lines(third.stdout) == list(semi.invalid_lines)
    assert counts(empty_simulator) == (10, 30, 120)


def test_dry_run_creates_nothing_and_lists_what_it_would(
    cli: Cli, simulator_factory: SimulatorFactory, tmp_path: Path
) -> None:
    server = simulator_factory(seed="empty")
    login(cli, server)
    existing = server.state.add_customer("Customer 00")
    website = server.state.add_project("Website", existing.id)
    server.state.add_activity("Design", website.id)
    csv_file = write_big_csv(tmp_path / "team.csv", ";", bom=False)

    dry = cli.run("import-csv", str(csv_file.path), "--dry-run", timeout=300)
    assert counts(server) == (1, 1, 1)
    would = [line for line in dry.stdout.splitlines() if line.startswith("would create ")]
    assert len(would) == 9 + 29 + 119  # everything but what already exists
    assert "would create customer Customer 01" in would
    assert "would create customer Customer 00" not in would
    assert "would create activity Customer 00 / Website / Development" in would
    assert failed_lines(dry.stdout) == list(csv_file.invalid_lines)
    assert dry.returncode == 1

    real = cli.run("import-csv", str(csv_file.path), "--delimiter", ";", timeout=300)
    assert "Created 9 customer(s), 29 project(s), 119 activity(ies)." in real.stdout
    assert catalog(server) == DISTINCT


def test_kimai_rejection_is_reported_with_its_reason(
    cli: Cli, empty_simulator: SimulatorServer, tmp_path: Path
) -> None:
    login(cli, empty_simulator)
    path = tmp_path / "short.csv"
    # Kimai needs names of 2+ characters: line 3's customer is refused, line 2 goes through.
    path.write_text("Customer,Project,Activity\nAcme,Web,Design\nX,Web,Design\n", encoding="utf-8")
    result = cli.run("import-csv", str(path))
    assert result.returncode == 1
    assert "Created 1 customer(s), 1 project(s), 1 activity(ies)." in result.stdout
    [failure] = [line for line in result.stdout.splitlines() if line.startswith("  line ")]
    assert failure.startswith("  line 3: customer 'X': Kimai rejected")
    assert "name" in failure


def test_missing_create_permission_is_one_sentence(
    cli: Cli, empty_simulator: SimulatorServer, tmp_path: Path
) -> None:
    login(cli, empty_simulator, PLAIN_TOKEN)  # ROLE_USER: may track time, not create customers
    path = tmp_path / "one.csv"
    path.write_text("Customer;Project;Activity\nAcme;Web;Design\n", encoding="utf-8")
    result = cli.run("import-csv", str(path))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "may not create customers" in result.stderr
    assert counts(empty_simulator) == (0, 0, 0)


def test_missing_columns_and_missing_file_are_one_sentence(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("Name,Project\nAcme,Web\n", encoding="utf-8")
    result = cli.run("import-csv", str(path))
    assert result.returncode == 1
    assert "lacks the column(s) Customer, Activity" in result.stderr
    missing = cli.run("import-csv", str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and "There is no file" in missing.stderr


class FakeTerminal(io.StringIO):
    """A terminal is an OS edge a pipe-driven test cannot have: isatty() says yes."""

    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_on_a_terminal_only() -> None:
    terminal = FakeTerminal()
    bar = ProgressBar(terminal)
    for done in range(1, 5):
        bar(done, 4)
    frames = terminal.getvalue().split("\r")[1:]
    assert frames[0].startswith("Importing [" + "#" * 7 + ".") and frames[0].endswith("1/4")
    assert frames[-1] == "Importing [" + "#" * 30 + "] 4/4\n"
    pipe = io.StringIO()
    ProgressBar(pipe)(1, 4)
    assert pipe.getvalue() == ""
