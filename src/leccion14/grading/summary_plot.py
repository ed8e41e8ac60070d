"""``summary.png``: histograma de notas y porcentaje de aprobados por apartado."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first

from matplotlib.ticker import MaxNLocator  # noqa: E402

from .atomic import write_bytes_atomic  # noqa: E402

# Maximum grade up to which the histogram has one bar per point; above it, this many bars.
MAX_INTEGER_BINS = 40


def write_summary_plot(totals: list[float], maximum: float, pass_rates: dict[str, float], path: Path) -> None:
    """Draw the histogram of ``totals`` (0..maximum) and the pass rate (0..1) of each question.

    A question counts as passed by a submission that got all its points.
    """
    import io

    figure, (histogram, rates) = plt.subplots(1, 2, figsize=(11, 4.2), constrained_layout=True)
    top = maximum if maximum > 0 else 1
    if top <= MAX_INTEGER_BINS:
        # One bar per whole point, centred on it, so 13 and 14 points never share a bar.
        bins = [edge - 0.5 for edge in range(int(top) + 2)]
    else:
        bins = MAX_INTEGER_BINS
    histogram.hist(totals, bins=bins, color="#3b75af", edgecolor="white")
    histogram.set_title(f"Notas ({len(totals)} entregas)")
    histogram.set_xlabel(f"Puntos (máximo {maximum:g})")
    histogram.set_ylabel("Entregas")
    # Counts of submissions are whole numbers.
    histogram.yaxis.set_major_locator(MaxNLocator(integer=True))

    names = list(pass_rates)
    rates.barh(names, [100 * pass_rates[name] for name in names], color="#4c9a5b")
    rates.set_xlim(0, 100)
    rates.invert_yaxis()
    rates.set_title("Aprobados por apartado (todos los puntos)")
    rates.set_xlabel("% de entregas")

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    write_bytes_atomic(path, buffer.getvalue())
