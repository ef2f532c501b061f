"""Fakes and fixtures shared by the tests (hand-written, preferred over MagicMock)."""
