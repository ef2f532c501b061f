"""CSV import of customers, projects and activities: reading the file and planning the creates.

Pure: no I/O beyond the text given, no network. `read_rows` turns the CSV text into numbered
rows (or per-line problems); `plan_import` compares them with what Kimai already has and lists
only the missing items, parents before children, so a second run plans nothing.

Names are compared after trimming and case-insensitively: "Acme" and "acme " are the same
customer to a person filling a spreadsheet, and creating both would be a mess to clean up.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kimai_tray.core.models import Activity, Customer, Project

REQUIRED = ("customer", "project", "activity")
# Optional extras the Kimai 2 client can send when it creates a customer.
OPTIONAL = ("customer country", "customer currency")
BOM = "\ufeff"


class CsvFormatError(ValueError):
    """The file as a whole cannot be imported (no header, missing columns): one sentence."""


@dataclass(frozen=True, slots=True)
class CsvRow:
    line: int  # 1-based line number in the file, as an editor shows it
    customer: str
    project: str
    activity: str
    country: str = ""
    currency: str = ""


@dataclass(frozen=True, slots=True)
class LineProblem:
    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class CsvContent:
    rows: tuple[CsvRow, ...]
    problems: tuple[LineProblem, ...]
    delimiter: str


def key(name: str) -> str:
    """How names are compared: trimmed, inner whitespace collapsed, case-folded."""
    return " ".join(name.split()).casefold()


def detect_delimiter(header: str) -> str:
    # The header holds only column names, so whichever separator it uses more is the one.
    return ";" if header.count(";") > header.count(",") else ","


def read_rows(text: str, delimiter: str | None = None) -> CsvContent:
    """Numbered rows of `text` (BOM and blank lines skipped); invalid lines become problems."""
    text = text.removeprefix(BOM)
    lines = text.splitlines()
    header_index = next((i for i, line in enumerate(lines) if line.strip()), None)
    if header_index is None:
        raise CsvFormatError("The CSV file is empty: it needs a header Customer,Project,Activity.")
    sep = delimiter or detect_delimiter(lines[header_index])
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header: list[str] | None = None
    columns: dict[str, int] = {}
    rows: list[CsvRow] = []
    problems: list[LineProblem] = []
    line_start = 1
    for cells in reader:
        line, line_start = line_start, reader.line_num + 1
        if not any(c.strip() for c in cells):
            continue  # blank line
        if header is None:
            header = cells
            columns = _columns(cells, sep)
            continue
        row_or_problem = _row(line, cells, columns)
        if isinstance(row_or_problem, LineProblem):
            problems.append(row_or_problem)
        else:
            rows.append(row_or_problem)
    return CsvContent(tuple(rows), tuple(problems), sep)


def _columns(header: Sequence[str], sep: str) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, name in enumerate(header):
        columns.setdefault(key(name), index)
    missing = [name.capitalize() for name in REQUIRED if name not in columns]
    if missing:
        found = sep.join(h.strip() for h in header)
        raise CsvFormatError(
            f"The CSV header lacks the column(s) {', '.join(missing)}: "
            f"it needs Customer{sep}Project{sep}Activity, found '{found}'."
        )
    return columns


def _row(line: int, cells: Sequence[str], columns: dict[str, int]) -> CsvRow | LineProblem:
    def cell(name: str) -> str:
        index = columns.get(name)
        if index is None or index >= len(cells):
            return ""
        return " ".join(cells[index].split())

    values = {name: cell(name) for name in (*REQUIRED, *OPTIONAL)}
    empty = [name.capitalize() for name in REQUIRED if not values[name]]
    if empty:
        return LineProblem(line, f"{' and '.join(empty)} empty")
    return CsvRow(
        line,
        values["customer"],
        values["project"],
        values["activity"],
        country=values["customer country"].upper(),
        currency=values["customer currency"].upper(),
    )


# -- planning ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NewCustomer:
    name: str
    country: str
    currency: str
    lines: tuple[int, ...]  # every CSV line that needs it


@dataclass(frozen=True, slots=True)
class NewProject:
    customer: str  # the customer's name as in the CSV (or Kimai, when it exists)
    name: str
    lines: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class NewActivity:
    customer: str
    project: str
    name: str
    lines: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ImportPlan:
    customers: tuple[NewCustomer, ...]
    projects: tuple[NewProject, ...]
    activities: tuple[NewActivity, ...]
    present_lines: tuple[int, ...]  # lines whose customer, project and activity all exist
    problems: tuple[LineProblem, ...]

    @property
    def total(self) -> int:
        return len(self.customers) + len(self.projects) + len(self.activities)


@dataclass(frozen=True, slots=True)
class Existing:
    """What Kimai already has, keyed the way `plan_import` compares names."""

    customers: dict[str, int] = field(default_factory=dict)  # key(name) -> id
    projects: dict[tuple[int, str], int] = field(default_factory=dict)  # (customer, key) -> id
    activities: set[tuple[int, str]] = field(default_factory=set)  # (project id, key)

    @classmethod
    def of(
        cls,
        customers: Iterable[Customer],
        projects: Iterable[Project],
        activities: Iterable[Activity],
    ) -> Existing:
        # First one wins when Kimai already holds duplicates: either is "present".
        by_customer: dict[str, int] = {}
        for c in sorted(customers, key=lambda c: c.id):
            by_customer.setdefault(key(c.name), c.id)
        by_project: dict[tuple[int, str], int] = {}
        for p in sorted(projects, key=lambda p: p.id):
            by_project.setdefault((p.customer_id, key(p.name)), p.id)
        # Only project-scoped activities count: a global one of the same name is not "in" it.
        scoped = {(a.project_id, key(a.name)) for a in activities if a.project_id is not None}
        return cls(by_customer, by_project, scoped)


def plan_import(content: CsvContent, existing: Existing) -> ImportPlan:
    customers: dict[str, NewCustomer] = {}
    projects: dict[tuple[str, str], NewProject] = {}
    activities: dict[tuple[str, str, str], NewActivity] = {}
    present: list[int] = []
    # The first spelling of a name is the one shown and created.
    shown_c: dict[str, str] = {}
    shown_p: dict[tuple[str, str], str] = {}
    for row in content.rows:
        ck, pk, ak = key(row.customer), key(row.project), key(row.activity)
        customer_name = shown_c.setdefault(ck, row.customer)
        project_name = shown_p.setdefault((ck, pk), row.project)
        customer_id = existing.customers.get(ck)
        project_id = existing.projects.get((customer_id, pk)) if customer_id is not None else None
        activity_found = project_id is not None and (project_id, ak) in existing.activities
        if customer_id is None:
            seen = customers.get(ck)
            customers[ck] = NewCustomer(
                seen.name if seen else row.customer,
                seen.country if seen else row.country,
                seen.currency if seen else row.currency,
                (*seen.lines, row.line) if seen else (row.line,),
            )
        if project_id is None:
            seen_p = projects.get((ck, pk))
            projects[(ck, pk)] = NewProject(
                customer_name,
                project_name,
                (*seen_p.lines, row.line) if seen_p else (row.line,),
            )
        if not activity_found:
            seen_a = activities.get((ck, pk, ak))
            activities[(ck, pk, ak)] = NewActivity(
                customer_name,
                project_name,
                seen_a.name if seen_a else row.activity,
                (*seen_a.lines, row.line) if seen_a else (row.line,),
            )
        else:
            present.append(row.line)
    return ImportPlan(
        tuple(customers.values()),
        tuple(projects.values()),
        tuple(activities.values()),
        tuple(present),
        content.problems,
    )


def describe_plan(plan: ImportPlan) -> list[str]:
    """One line per item the import would create (for --dry-run)."""
    out = [f"customer {c.name}" for c in plan.customers]
    out += [f"project  {p.customer} / {p.name}" for p in plan.projects]
    out += [f"activity {a.customer} / {a.project} / {a.name}" for a in plan.activities]
    return out
