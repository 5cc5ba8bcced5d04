"""Council commands: analyze (and, to come, audit verify and verify-bundle)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click


@click.command("analyze")
@click.argument("responses", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--rasch", is_flag=True, help="Add Rasch difficulties (marginal maximum likelihood).")
def analyze(responses: str, as_json: bool, rasch: bool) -> None:
    """Item and test statistics for a response matrix CSV (one row per candidate)."""
    from scoring.analyze import AnalyzeInputError, analyze_csv

    text = Path(responses).read_bytes()
    try:
        report = analyze_csv(text, rasch=rasch)
    except AnalyzeInputError as exc:
        click.echo(f"{responses}: {exc}", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False))
        return
    test = report["test"]
    click.echo(
        f"n={test['n']} mean={_fmt(test['mean'])} sd={_fmt(test['sd'])} "
        f"alpha={_fmt(test['cronbach_alpha'])}"
    )
    click.echo(f"{'item':<20}{'facility':>10}{'disc':>10}{'pbis':>10}")
    for item in report["items"]:
        click.echo(
            f"{item['item']:<20}{_fmt(item['facility']):>10}"
            f"{_fmt(item['discrimination_index']):>10}{_fmt(item['point_biserial']):>10}"
        )


def _fmt(value) -> str:
    return "—" if value is None else f"{value:.3f}"


COMMANDS: list = [analyze]  # registered on examctl by the composition root
