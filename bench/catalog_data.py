"""A deterministic large catalog (10,000 projects, 50,000 activities) and typing queries."""

from __future__ import annotations

import random

from kimai_tray.core.models import Activity, Customer, Project, Tag

_WORDS = [
    "alpha",
    "beta",
    "cloud",
    "data",
    "edge",
    "flow",
    "grid",
    "harbor",
    "iris",
    "jade",
    "kilo",
    "lumen",
    "metro",
    "nova",
    "orbit",
    "pixel",
    "quartz",
    "river",
    "solar",
    "terra",
    "ultra",
    "vector",
    "willow",
    "xenon",
    "yonder",
    "zephyr",
    "apex",
    "bridge",
    "cobalt",
    "delta",
    "ember",
    "falcon",
    "granite",
    "horizon",
    "island",
    "juniper",
    "kestrel",
    "lagoon",
    "meadow",
    "nimbus",
    "oasis",
    "prairie",
    "quill",
    "raven",
    "sierra",
    "timber",
    "umber",
    "valley",
    "walnut",
    "yarrow",
    "zenith",
]
_ACTIVITIES = [
    "Development",
    "Design",
    "Meeting",
    "Support",
    "Review",
    "Testing",
    "Planning",
    "Research",
    "Documentation",
    "Consulting",
    "Deployment",
    "Maintenance",
    "Training",
    "Analysis",
    "Workshop",
    "Onboarding",
    "Bugfix",
    "Sales",
]
_GLOBAL = ["Meeting", "Break", "Admin", "Travel", "Internal", "Email", "Phone call", "Learning"]


def large_catalog(
    projects: int = 10_000, activities: int = 50_000, seed: int = 7
) -> tuple[list[Customer], list[Project], list[Activity], list[Tag]]:
    rng = random.Random(seed)
    customers = [
        Customer(i, f"{rng.choice(_WORDS).title()} {rng.choice(_WORDS).title()} GmbH")
        for i in range(1, projects // 10 + 1)
    ]
    project_list = []
    for i in range(1, projects + 1):
        customer = customers[rng.randrange(len(customers))]
        name = f"{rng.choice(_WORDS).title()} {rng.choice(_WORDS).title()} {rng.randint(1, 99)}"
        project_list.append(Project(i, name, customer.id, customer.name))
    activity_list = [Activity(i + 1, name) for i, name in enumerate(_GLOBAL)]
    next_id = len(activity_list) + 1
    while len(activity_list) < activities:
        project = project_list[rng.randrange(len(project_list))]
        name = f"{rng.choice(_ACTIVITIES)} {rng.choice(_WORDS)}"
        activity_list.append(Activity(next_id, name, project.id))
        next_id += 1
    tags = [Tag(i, w) for i, w in enumerate(_WORDS[:20], 1)]
    return customers, project_list, activity_list, tags


QUERIES = [
    "alpha dev",
    "cobalt",
    "meeting",
    "nova support",
    "river 12",
    "design",
    "zephyr",
    "kestrel review",
    "grid",
    "jade testing",
    "orbit plan",
    "solar",
    "bugfix",
    "falcon",
    "metro docu",
    "horizon",
    "break",
    "quartz cons",
    "willow",
    "apex deploy",
]
