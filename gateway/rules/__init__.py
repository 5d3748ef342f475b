"""Selection rules: criteria compiled to SQL, with explanations."""
