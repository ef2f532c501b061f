"""What to offer when a picker search finds nothing: "Create activity 'X' in project Y".

The project is the one the query names first ("Website design review" -> project "Website",
activity "design review"), else the project the user worked on last. Creation itself needs the
server (Kimai assigns the id), so the suggestion says whether it can be made right now.
"""

from __future__ import annotations

from dataclasses import dataclass

from kimai_tray.core.catalog import Catalog
from kimai_tray.core.errors import KimaiTrayError
from kimai_tray.core.state import NamedRef

MAX_NAME = 150  # Kimai's activity/project name column length
NEW_ID = 0  # Kimai ids start at 1: id 0 marks what is still to be created


@dataclass(frozen=True, slots=True)
class CreateSuggestion:
    """An activity `name` to create in `project`, or (project id NEW_ID) a project `name` for
    `customer`; `online` False means "not now"."""

    name: str
    project: NamedRef
    customer: NamedRef
    online: bool

    @property
    def creates_project(self) -> bool:
        return self.project.id == NEW_ID

    @property
    def label(self) -> str:
        if self.creates_project:
            text = f"Create project '{self.name}' for customer {self.customer.name}"
        else:
            text = f"Create activity '{self.name}' in project {self.project.name}"
        return text if self.online else f"{text} (needs a connection)"


def suggest_creation(
    query: str, catalog: Catalog, fallback_project_id: int | None, *, online: bool
) -> CreateSuggestion | None:
    """The creation to offer for `query` (None: nothing sensible, e.g. no project known)."""
    words = query.split()
    if not words:
        return None
    for cut in range(len(words) - 1, 0, -1):
        try:
            project = catalog.resolve_project(" ".join(words[:cut]))
        except KimaiTrayError:  # unknown or ambiguous: try a shorter project name
            continue
        return _make(" ".join(words[cut:]), project.id, catalog, online)
    if fallback_project_id is None:
        return None
    return _make(" ".join(words), fallback_project_id, catalog, online)


def suggest_project(query: str, catalog: Catalog, *, online: bool) -> CreateSuggestion | None:
    """ "Create project 'X' for customer C" when the query starts with one customer's name."""
    words = query.split()
    if _names_a_project(words, catalog):
        return None  # "Acme Website review" is an activity for project "Acme Website"
    customers = catalog.customers()
    for cut in range(len(words) - 1, 0, -1):
        prefix = " ".join(words[:cut]).lower()
        # "Acme" names "Acme GmbH": a whole-word start of exactly one customer's name.
        found = [
            c
            for c in customers
            if c.name.lower() == prefix or c.name.lower().startswith(prefix + " ")
        ]
        if len(found) != 1:
            continue
        name = " ".join(words[cut:])
        if len(name) > MAX_NAME:
            return None
        customer = found[0]
        return CreateSuggestion(
            name=name,
            project=NamedRef(NEW_ID, name),
            customer=NamedRef(customer.id, customer.name),
            online=online,
        )
    return None


def _names_a_project(words: list[str], catalog: Catalog) -> bool:
    # By the project's own name: "Acme" is a customer even when Acme has a single project.
    names = {p.name.lower() for p in catalog.projects()}
    return any(" ".join(words[:cut]).lower() in names for cut in range(len(words) - 1, 0, -1))


def _make(name: str, project_id: int, catalog: Catalog, online: bool) -> CreateSuggestion | None:
    project = catalog.project(project_id)
    if project is None or not name or len(name) > MAX_NAME:
        return None
    customer = catalog.customer(project.customer_id)
    return CreateSuggestion(
        name=name,
        project=NamedRef(project.id, project.name),
        customer=NamedRef(project.customer_id, customer.name if customer else ""),
        online=online,
    )
