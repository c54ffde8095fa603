# tests/unit/bindings.cmake - wire-parameter tests of the typed EC2 bindings
