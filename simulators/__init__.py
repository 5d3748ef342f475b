"""What stands in for the partners of a real installation: a simulated SAP system, simulated
collection agencies (files and REST), a local Tryton ERP, and the demo that runs the loop against
them. Tests, benchmarks and the demo use them; production code never imports this package (an
import-linter contract checks it): the demo command and the simulated SAP client are found
through entry points."""
