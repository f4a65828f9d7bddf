"""The application's operations: plain functions that the CLI, the flows and the web app call."""
