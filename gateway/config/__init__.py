"""The configuration file: one YAML file for sources, agencies, policies and schedules."""

from gateway.config.loader import (
    AgencySetup,
    Config,
    ConfigError,
    SourceSetup,
    WriteBackSetup,
    load_config,
)
from gateway.config.model import (
    AgencyConfig,
    GatewayConfig,
    PolicyConfig,
    ScheduleConfig,
    SourceConfig,
)

__all__ = [
    "AgencyConfig",
    "AgencySetup",
    "Config",
    "ConfigError",
    "GatewayConfig",
    "PolicyConfig",
    "ScheduleConfig",
    "SourceConfig",
    "SourceSetup",
    "WriteBackSetup",
    "load_config",
]
