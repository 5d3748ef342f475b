"""The numbers a credit manager steers by: ageing, DSO and CEI, agency performance, payment
behaviour and risk score, promises to pay, the cash forecast, and their history.

docs/kpis.md defines each figure for accounting. Modules: `buckets`, `formulas`,
`payment_index`, `scorecard` and `promises` are pure; the others read the store.
"""
