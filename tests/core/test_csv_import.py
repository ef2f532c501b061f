"""The pure half of the CSV import: reading rows and planning only what is missing."""

from __future__ import annotations

import pytest

from kimai_tray.core.csv_import import (
    CsvFormatError,
    Existing,
    LineProblem,
    describe_plan,
    plan_import,
    read_rows,
)
from kimai_tray.core.models import Activity, Customer, Project


def test_bom_semicolon_blank_lines_and_line_numbers() -> None:
    text = "\ufeffActivity;CUSTOMER;project\n\nDesign;Acme;Web\n;Acme;Web\n\n\nDev;Acme\n"
    content = read_rows(text)
    assert content.delimiter == ";"
    [row] = content.rows
    assert (row.line, row.customer, row.project, row.activity) == (3, "Acme", "Web", "Design")
    assert content.problems == (
        LineProblem(4, "Activity empty"),
        LineProblem(7, "Project empty"),
    )


def test_quoted_fields_and_explicit_delimiter() -> None:
    text = 'Customer,Project,Activity,Customer country\n"Acme, Inc.",Web,"Design ""UX""",at\n'
    [row] = read_rows(text, ",").rows
    assert (row.customer, row.activity, row.country) == ("Acme, Inc.", 'Design "UX"', "AT")


def test_missing_header_columns_is_one_sentence() -> None:
    with pytest.raises(CsvFormatError, match="lacks the column"):
        read_rows("Customer,Project\nAcme,Web\n")
    with pytest.raises(CsvFormatError, match="empty"):
        read_rows("\ufeff\n\n")


def test_plan_skips_what_exists_and_merges_duplicates_case_insensitively() -> None:
    text = (
        "Customer,Project,Activity\n"
        "Acme,Web,Design\n"  # all present
        "acme , web,Dev\n"  # new activity in the existing project
        "ACME,Shop,Design\n"  # new project + activity
        "Acme,shop,design\n"  # duplicate of the line above
        "Beta,Web,Design\n"  # all new
    )
    existing = Existing.of(
        [Customer(1, "Acme")],
        [Project(10, "Web", 1)],
        [Activity(100, "Design", 10), Activity(101, "Dev", None)],  # global Dev does not count
    )
    plan = plan_import(read_rows(text), existing)
    assert plan.present_lines == (2,)
    assert [c.name for c in plan.customers] == ["Beta"]
    assert [(p.customer, p.name, p.lines) for p in plan.projects] == [
        ("Acme", "Shop", (4, 5)),  # the first spelling in the file wins
        ("Beta", "Web", (6,)),
    ]
    assert describe_plan(plan)[-3:] == [
        "activity Acme / Web / Dev",
        "activity Acme / Shop / Design",
        "activity Beta / Web / Design",
    ]
    assert plan.total == 1 + 2 + 3
