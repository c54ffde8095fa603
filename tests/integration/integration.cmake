# tests/integration/integration.cmake - integration tests against moto
