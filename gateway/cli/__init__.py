"""The `claimbridge` command line."""

from gateway.cli.agency_cmd import agency
from gateway.cli.alerts_cmd import alerts
from gateway.cli.cases_cmd import cases
from gateway.cli.check_cmd import check
from gateway.cli.config_cmd import config, connectors_command
from gateway.cli.db_cmd import db
from gateway.cli.init_cmd import init
from gateway.cli.jobs_cmd import jobs
from gateway.cli.kpi_cmd import kpi
from gateway.cli.main import main
from gateway.cli.notify_cmd import notify_group
from gateway.cli.outbox_cmd import outbox
from gateway.cli.payments_cmd import payments
from gateway.cli.plugins import plugin_commands
from gateway.cli.purge_cmd import purge
from gateway.cli.rates_cmd import rates
from gateway.cli.run_cmd import run
from gateway.cli.select_cmd import explain, select
from gateway.cli.serve_cmd import serve
from gateway.cli.snapshots_cmd import snapshots
from gateway.cli.transfers_cmd import transfers
from gateway.cli.user_cmd import user
from gateway.cli.worker_cmd import worker

for command in (
    init,
    run,
    serve,
    db,
    config,
    connectors_command,
    check,
    transfers,
    outbox,
    cases,
    select,
    explain,
    worker,
    jobs,
    alerts,
    purge,
    agency,
    user,
    kpi,
    notify_group,
    payments,
    rates,
    snapshots,
    *plugin_commands(),
):
    main.add_command(command)

__all__ = ["main"]
