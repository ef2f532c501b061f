"""Operating-system edges: paths, config, keyring, IPC, hotkeys, idle, autostart."""
