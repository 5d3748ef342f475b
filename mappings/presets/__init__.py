"""The shipped mapping presets (YAML), read with `preset:NAME`."""
