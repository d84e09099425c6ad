"""Pure aggregation: from answers (plain data) and the instrument to figures and words."""
