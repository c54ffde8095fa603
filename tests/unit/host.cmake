# tests/unit/host.cmake - unit tests for host (filled in by the owner of that area)
