"""Carry out an `ImportPlan` against Kimai: customers, then projects, then activities.

One failed create does not stop the import: the lines that needed it are reported with Kimai's
reason and the rest goes on. A missing create permission does stop it, since every further
create of that kind would fail the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from kimai_tray.core.csv_import import (
    CsvContent,
    Existing,
    ImportPlan,
    LineProblem,
    key,
    plan_import,
)
from kimai_tray.core.errors import BackendError, KimaiTrayError, PermissionDeniedError
from kimai_tray.core.models import Activity, Customer, Project

Progress = Callable[[int, int], None]  # (done, total)


class CatalogWriter(Protocol):
    """The part of a Kimai 2 client the import uses (Kimai 1 has no create methods)."""

    async def customers(self) -> list[Customer]: ...

    async def projects(self) -> list[Project]: ...

    async def activities(self) -> list[Activity]: ...

    async def create_customer(
        self, name: str, *, country: str | None = None, currency: str | None = None
    ) -> Customer: ...

    async def create_project(self, name: str, customer_id: int) -> Project: ...

    async def create_activity(self, name: str, project_id: int | None = None) -> Activity: ...


class ImportPermissionError(KimaiTrayError):
    """Kimai answered 403 to a create: the account lacks the create permission."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    created_customers: int
    created_projects: int
    created_activities: int
    present_lines: tuple[int, ...]
    failed: tuple[LineProblem, ...]  # sorted by line

    @property
    def created(self) -> int:
        return self.created_customers + self.created_projects + self.created_activities


async def load_existing(backend: CatalogWriter) -> Existing:
    return Existing.of(
        await backend.customers(), await backend.projects(), await backend.activities()
    )


async def plan_from_server(backend: CatalogWriter, content: CsvContent) -> ImportPlan:
    return plan_import(content, await load_existing(backend))


async def run_import(
    backend: CatalogWriter,
    plan: ImportPlan,
    existing: Existing,
    progress: Progress | None = None,
) -> ImportResult:
    total, done = plan.total, 0
    failed: dict[int, str] = {p.line: p.reason for p in plan.problems}
    counts = [0, 0, 0]

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    def fail(lines: tuple[int, ...], reason: str) -> None:
        for line in lines:
            failed.setdefault(line, reason)  # the first (root) cause is the useful one

    customer_ids = dict(existing.customers)
    for c in plan.customers:
        try:
            made = await backend.create_customer(
                c.name, country=c.country or None, currency=c.currency or None
            )
        except BackendError as exc:
            _stop_on_permission(exc, "customers", "create_customer")
            fail(c.lines, f"customer '{c.name}': {exc.user_message}")
        else:
            customer_ids[key(c.name)] = made.id
            counts[0] += 1
        step()

    project_ids = dict(existing.projects)
    for p in plan.projects:
        customer_id = customer_ids.get(key(p.customer))
        if customer_id is None:
            fail(p.lines, f"customer '{p.customer}' could not be created")
        else:
            try:
                made_p = await backend.create_project(p.name, customer_id)
            except BackendError as exc:
                _stop_on_permission(exc, "projects", "create_project")
                fail(p.lines, f"project '{p.name}': {exc.user_message}")
            else:
                project_ids[(customer_id, key(p.name))] = made_p.id
                counts[1] += 1
        step()

    for a in plan.activities:
        cid = customer_ids.get(key(a.customer))
        project_id = project_ids.get((cid, key(a.project))) if cid is not None else None
        if project_id is None:
            fail(a.lines, f"project '{a.project}' could not be created")
        else:
            try:
                await backend.create_activity(a.name, project_id)
            except BackendError as exc:
                _stop_on_permission(exc, "activities", "create_activity")
                fail(a.lines, f"activity '{a.name}': {exc.user_message}")
            else:
                counts[2] += 1
        step()

    problems = tuple(LineProblem(line, reason) for line, reason in sorted(failed.items()))
    return ImportResult(counts[0], counts[1], counts[2], plan.present_lines, problems)


def _stop_on_permission(exc: BackendError, noun: str, permission: str) -> None:
    if isinstance(exc, PermissionDeniedError) or exc.status == 403:
        raise ImportPermissionError(
            f"Your Kimai account may not create {noun} (permission '{permission}'): "
            "ask your Kimai admin for it, then run the import again.",
            detail=exc.detail,
        ) from None


def summary_lines(result: ImportResult) -> list[str]:
    out = [
        f"Created {result.created_customers} customer(s), {result.created_projects} "
        f"project(s), {result.created_activities} activity(ies).",
        f"Already present: {len(result.present_lines)} line(s).",
    ]
    if result.failed:
        out.append(f"Failed: {len(result.failed)} line(s):")
        out += [f"  line {p.line}: {p.reason}" for p in result.failed]
    return out
