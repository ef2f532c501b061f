"""Simulator fixtures (owned by the simulator work; see src/kimai_tray/simulator/)."""
