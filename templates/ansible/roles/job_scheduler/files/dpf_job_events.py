"""dpf: one JSON line per failed Airflow DAG run, the source of the platform's JobFailures metric.

Airflow calls on_dag_run_failed in the scheduler when a DAG run ends in the failed state. The
line goes to /var/log/dpf/airflow-jobs.log (DPF_JOB_EVENTS_LOG), which the CloudWatch agent
ships to the /<project>/<env>/system log group, where the monitoring stack's metric filter
{ $.event = "dag_run_failed" } counts it into the JobFailures metric its alarm watches.
A write that fails is logged, never raised: monitoring must not break the scheduler.
"""
import datetime
import json
import logging
import os
import sys

from airflow.listeners import hookimpl
from airflow.plugins_manager import AirflowPlugin

EVENT = "dag_run_failed"
DEFAULT_LOG = "/var/log/dpf/airflow-jobs.log"
log = logging.getLogger(__name__)


def job_event(dag_run, msg):
    """The JSON document of one failed DAG run (what the metric filter matches)."""
    return {
        "event": EVENT,
        "dag_id": getattr(dag_run, "dag_id", None),
        "run_id": getattr(dag_run, "run_id", None),
        "time": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "message": str(msg or "")[:500],
    }


def write_event(event, path=None):
    path = path or os.environ.get("DPF_JOB_EVENTS_LOG", DEFAULT_LOG)
    try:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(event, sort_keys=True) + "\n")
    except OSError as err:
        log.warning("dpf: could not record the failed DAG run in %s: %s", path, err)


@hookimpl
def on_dag_run_failed(dag_run, msg):
    write_event(job_event(dag_run, msg))


class DpfJobEventsPlugin(AirflowPlugin):
    name = "dpf_job_events"
    listeners = [sys.modules[__name__]]
