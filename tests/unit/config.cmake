# tests/unit/config.cmake - unit tests for config (filled in by the owner of that area)
