"""What the picker offers to create when a search finds nothing (real SQLite catalog)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kimai_tray.core.catalog import Catalog
from kimai_tray.core.creation import suggest_creation, suggest_project
from kimai_tray.core.models import Activity, Customer, Project


@pytest.fixture
def catalog(tmp_path: Path) -> Iterator[Catalog]:
    built = Catalog(tmp_path / "catalog.sqlite")
    built.replace_all(
        [Customer(1, "Acme GmbH"), Customer(2, "Globex")],
        [Project(10, "Website", 1, "Acme GmbH"), Project(11, "Intranet", 2, "Globex")],
        [Activity(100, "Design", 10)],
        [],
    )
    yield built
    built.close()


def test_the_query_names_the_project_first(catalog: Catalog) -> None:
    s = suggest_creation("Website copy review", catalog, 11, online=True)
    assert s is not None and (s.name, s.project.id) == ("copy review", 10)
    assert s.label == "Create activity 'copy review' in project Website"
    assert s.customer.name == "Acme GmbH"


def test_else_the_last_used_project_and_offline_says_so(catalog: Catalog) -> None:
    s = suggest_creation("Copy review", catalog, 11, online=False)
    assert s is not None and (s.name, s.project.id) == ("Copy review", 11)
    assert s.label.endswith("(needs a connection)")
    assert suggest_creation("Copy review", catalog, None, online=True) is None
    assert suggest_creation("   ", catalog, 11, online=True) is None


def test_a_project_for_a_named_customer(catalog: Catalog) -> None:
    s = suggest_project("Acme Mobile app", catalog, online=True)
    assert s is not None and s.creates_project
    assert (s.name, s.customer.id) == ("Mobile app", 1)
    assert s.label == "Create project 'Mobile app' for customer Acme GmbH"
    # A query that already names a project asks for an activity, not a project.
    assert suggest_project("Website Acme thing", catalog, online=True) is None
    assert suggest_project("Nobody thing", catalog, online=True) is None
