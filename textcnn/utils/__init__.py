"""Generic helpers with no knowledge of models or text: atomic writes, YAML dataclass configs, markdown tables."""
