"""Pure-Python heart of kimai-tray: no Qt, no httpx (tests/core/test_purity.py enforces it)."""
