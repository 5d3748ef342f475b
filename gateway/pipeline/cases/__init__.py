"""The case engine: the one place where a case changes (events folded through the state
machine, write-back actions, notices and webhooks into the outbox), and accounting's decisions."""

from gateway.pipeline.cases.decisions import Decision, DecisionRefused, decide
from gateway.pipeline.cases.updates import Applied, CaseUpdater

__all__ = ["Applied", "CaseUpdater", "Decision", "DecisionRefused", "decide"]
