"""``textcnn config show``: the full effective config (every section, every model argument) as YAML."""

from __future__ import annotations

import click

from textcnn.cli._common import friendly_errors, overrides_option


@click.group("config")
def config() -> None:
    """Inspect experiment configs (the YAML files `textcnn train` reads)."""


@config.command("show")
@click.argument("config_file", required=False, type=click.Path(dir_okay=False))
@overrides_option
@friendly_errors
def show(config_file: str | None, overrides: tuple[str, ...]) -> None:
    """Print the effective config of CONFIG_FILE (default: the built-in defaults) with the --set overrides applied.

    Every section is printed with every key; the model section lists every argument of the model's builder, with
    its default where the config does not set it. Unknown keys and wrong types are errors, as for `textcnn train`;
    what train would still refuse (a missing data.dataset, say) is noted in `# note:` lines above the YAML. The output
    is itself a config: save it and pass it to `textcnn train`.
    """
    from textcnn.classify.config import effective_config_yaml

    click.echo(effective_config_yaml(config_file, overrides), nl=False)
