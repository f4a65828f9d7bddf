"""Pipeline steps: plain typed functions with thin Prefect @task wrappers."""
