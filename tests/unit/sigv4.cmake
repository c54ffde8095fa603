# tests/unit/sigv4.cmake - unit tests for sigv4 (filled in by the owner of that area)
