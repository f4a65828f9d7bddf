"""The application's operations: plain functions the CLI, the flows and the web application call."""
