"""Handover policies: the criteria language (fields, operators, all / any / not) compiled
to SQL that selects and Python that explains; routing; statutory interest and fees."""
