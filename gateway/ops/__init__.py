"""Operations: scheduled runs safe on several processes, run leases and history, metrics,
alerts, transfer retries, retention."""
