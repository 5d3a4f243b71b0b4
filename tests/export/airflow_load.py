"""Run by the test-only Airflow's Python: load a DAG folder with Airflow's DagBag and print,
as JSON, the import errors and each DAG's tasks, rendered as a trigger with the JSON conf in
argv[2] would render them (each param validated by Airflow)."""

import json
import sys

try:  # Airflow 3
    from airflow.dag_processing.dagbag import DagBag
except ImportError:  # Airflow 2
    from airflow.models.dagbag import DagBag

try:
    bag = DagBag(dag_folder=sys.argv[1], include_examples=False)
except TypeError:  # Airflow 3 has no example DAGs to leave out
    bag = DagBag(dag_folder=sys.argv[1])
found = {"errors": {name: str(error)[-3000:] for name, error in bag.import_errors.items()},
         "dags": {}}
for dag_id, dag in bag.dags.items():
    conf = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    values = {name: dag.params.get_param(name).resolve(conf[name]) if name in conf
              else dag.params[name] for name in dag.params}
    tasks = {}
    for task in dag.tasks:
        arguments = getattr(task, "arguments", None) or getattr(task, "command", None)
        tasks[task.task_id] = {
            "operator": type(task).__name__, "image": task.image, "arguments": arguments,
            "rendered": task.render_template(arguments, {"params": values}),
            "upstream": sorted(task.upstream_task_ids)}
    found["dags"][dag_id] = {
        "tasks": tasks, "defaults": values,
        "schemas": {name: dag.params.get_param(name).schema for name in dag.params}}
print(json.dumps(found, default=str))
