"""Handover: approved cases batched, their claims brought up to date, delivered to the agency."""

from gateway.pipeline.handover.batches import HandoverResult, hand_over

__all__ = ["HandoverResult", "hand_over"]
