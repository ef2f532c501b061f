"""In-memory Kimai simulators served over real HTTP for tests and demos.

Kimai 2: `kimai2.SimulatorState` (state, seeds, faults, web-UI helpers) served by
`server.SimulatorServer`; `kimai-tray simulator` runs it (admin token `demo-token` by default,
the seeded ROLE_USER `plain` has token `plain-token`).
"""
