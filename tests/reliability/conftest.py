"""The `--soak` option, the `soak`/`reliability_stats` fixtures and the summary line live in
reliability/plugin.py (registered in tests/conftest.py) so `pytest --soak` works from anywhere."""
