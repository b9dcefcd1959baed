"""The checks' helpers: step folders, apps, messages, servers, browsers (checks/README.md)."""
