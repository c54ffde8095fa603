# tests/unit/codecs.cmake - unit tests for codecs (filled in by the owner of that area)
