"""A real Tryton ERP for `claimbridge demo --erp tryton` and the tests, run in processes of
its own."""
