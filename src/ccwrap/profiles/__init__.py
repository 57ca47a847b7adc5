"""Profiles: the model, the config.toml store, list/show/edit/export/import, presets, the setup
wizard.
"""
