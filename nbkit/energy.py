"""Power and energy of AI hardware, and what a training run costs in GPU-days and MWh.

Units are carried in the names: ``_w`` watts, ``_wh`` watt-hours, ``_mwh``
megawatt-hours, ``_twh`` terawatt-hours, ``_flop`` floating-point operations,
``_flop_s`` FLOP per second, ``_hours``, ``_days``. The cited inputs live in
``FIGURES``, each with its unit and source, so a notebook can show where every
number comes from (and a learner can change them).

The arithmetic:
- facility power = GPUs x watts per GPU (with its share of the server) x PUE
  (power usage effectiveness: facility power / IT power, >= 1);
- energy = power x hours; a year is 8,766 hours (365.25 days);
- training compute C ≈ 6·N·D FLOP (N parameters, D tokens; ``models.training_flops``);
- GPU time = C / (peak FLOP/s x utilisation), utilisation being the model FLOP
  utilisation (MFU) actually reached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .costs import fraction, positive

HOURS_PER_YEAR = 365.25 * 24
WH_PER_MWH, WH_PER_TWH = 1e6, 1e12


@dataclass(frozen=True)
class Figure:
    """A cited input: ``value`` in ``unit``, what it is, and where it comes from (with year)."""

    value: float
    unit: str
    what: str
    source: str


FIGURES = {
    "h100_board_w": Figure(700, "W", "NVIDIA H100 SXM maximum board power (TDP)",
                           "NVIDIA H100 Tensor Core GPU datasheet, 2022"),
    "dgx_h100_w": Figure(10_200, "W", "DGX H100 server with 8 H100 GPUs, maximum system power",
                         "NVIDIA DGX H100 datasheet / user guide, 2023"),
    "h100_bf16_dense_flop_s": Figure(989e12, "FLOP/s", "H100 SXM peak dense BF16 tensor throughput",
                                     "NVIDIA H100 datasheet, 2022 (1,979 TFLOP/s is the 2:4-sparse figure)"),
    "pue_industry": Figure(1.58, "", "average data-centre PUE, industry survey",
                           "Uptime Institute Global Data Center Survey, 2023"),
    "pue_hyperscale": Figure(1.10, "", "Google fleet-wide average PUE",
                             "Google Environmental Report 2024 (year 2023)"),
    "us_datacenter_twh_2023": Figure(176, "TWh/yr", "US data-centre electricity use in 2023 (4.4 % of US use)",
                                     "Shehabi et al., US Data Center Energy Usage Report, LBNL, Dec 2024"),
    "us_datacenter_twh_2014": Figure(70, "TWh/yr", "US data-centre electricity use in 2014 (1.8 % of US use)",
                                     "Shehabi et al., US Data Center Energy Usage Report, LBNL, 2016"),
    "us_generation_twh_2023": Figure(4_178, "TWh/yr", "US utility-scale net electricity generation in 2023",
                                     "US EIA, Electric Power Annual / FAQ, 2024"),
    "gpus_2030": Figure(25e6, "GPUs", "data-centre GPUs in 2030 that US power could not support",
                        "ZB §3.2, citing a Coatue LP report, 2024"),
    "gpus_2024": Figure(3e6, "GPUs", "data-centre GPUs today (2024)", "ZB §3.2, citing Coatue, 2024"),
    "cluster_w": Figure(5e9, "W", "planned power of the 'Stargate' cluster (5 GW)", "ZB §3.3, 2024"),
    "cluster_share_claimed": Figure(0.70, "", "claimed share of 2023 US data-centre use taken by 5 GW",
                                    "ZB §3.3, 2024"),
    "frontier_run_flop": Figure(1e26, "FLOP", "compute of the newest frontier training run",
                                "ZB §3.3, citing SemiAnalysis, 2024"),
    "llama3_params": Figure(405e9, "parameters", "Llama 3 405B: parameters",
                            "Llama Team, The Llama 3 Herd of Models, arXiv:2407.21783, 2024"),
    "llama3_tokens": Figure(15.6e12, "tokens", "Llama 3 405B: pre-training tokens", "ibid."),
    "llama3_flop": Figure(3.8e25, "FLOP", "Llama 3 405B: reported training compute", "ibid."),
    "llama3_mfu": Figure(0.40, "", "Llama 3 405B: BF16 model FLOP utilisation (38-43 % reported)", "ibid."),
    "llama3_gpu_hours": Figure(30.84e6, "H100 GPU-hours", "Llama 3.1 405B: training GPU-hours",
                               "Meta, Llama 3.1 model card, 2024"),
}


def per_gpu_w(server_w: float, gpus_per_server: int) -> float:
    """Watts per GPU when a server of ``server_w`` watts holds ``gpus_per_server`` GPUs (CPUs, fans, network shared)."""
    server_w = positive("server_w", server_w, "W")
    if isinstance(gpus_per_server, bool) or not isinstance(gpus_per_server, int) or gpus_per_server < 1:
        raise ValueError(f"gpus_per_server must be an int >= 1, got {gpus_per_server!r}")
    return server_w / gpus_per_server


def facility_power_w(n_gpus: float, watts_per_gpu: float, pue: float = 1.0, load: float = 1.0) -> float:
    """Electric power of a data centre in watts: ``n_gpus x watts_per_gpu x load x pue``.

    watts_per_gpu: IT power per GPU (board, or its share of the server).
    pue: power usage effectiveness, >= 1 (cooling and conversion on top of IT power).
    load: average fraction of that power drawn (1 = flat out).
    """
    n_gpus = positive("n_gpus", n_gpus, "GPUs")
    watts_per_gpu = positive("watts_per_gpu", watts_per_gpu, "W (a power cannot be negative)")
    pue = positive("pue", pue)
    if pue < 1:
        raise ValueError(f"pue must be >= 1 (facility power cannot be below IT power), got {pue}")
    load = fraction("load", load)
    return n_gpus * watts_per_gpu * load * pue


def energy_wh(power_w: float, hours: float) -> float:
    """Energy in watt-hours drawn by ``power_w`` watts for ``hours`` hours."""
    return positive("power_w", power_w, "W (a power cannot be negative)") * positive("hours", hours, "hours")


def yearly_twh(power_w: float) -> float:
    """Energy in TWh of a constant ``power_w`` over one year (8,766 hours)."""
    return energy_wh(power_w, HOURS_PER_YEAR) / WH_PER_TWH


def average_power_w(energy_twh_per_year: float) -> float:
    """The constant power (W) that uses ``energy_twh_per_year`` TWh in a year."""
    return positive("energy_twh_per_year", energy_twh_per_year, "TWh/yr") * WH_PER_TWH / HOURS_PER_YEAR


def gpu_hours(flop: float, peak_flop_s: float, utilisation: float) -> float:
    """GPU-hours to do ``flop`` operations on GPUs of ``peak_flop_s`` reaching ``utilisation`` (MFU) of it."""
    flop = positive("flop", flop, "FLOP")
    peak = positive("peak_flop_s", peak_flop_s, "FLOP/s")
    mfu = fraction("utilisation", utilisation)
    if mfu == 0:
        raise ValueError("utilisation must be > 0: at 0 % of peak the run never ends")
    return flop / (peak * mfu) / 3600.0


def run_cost(flop: float, peak_flop_s: float, utilisation: float, watts_per_gpu: float, pue: float,
             n_gpus: float) -> dict[str, float]:
    """What a training run of ``flop`` costs on ``n_gpus`` GPUs.

    Returns ``gpu_hours``, ``gpu_days`` (GPU-days), ``wall_days`` (days on
    ``n_gpus`` GPUs), ``energy_mwh`` (facility energy, MWh) and
    ``facility_mw`` (facility power while it runs, MW).
    """
    hours = gpu_hours(flop, peak_flop_s, utilisation)
    power = facility_power_w(n_gpus, watts_per_gpu, pue)
    wall_hours = hours / positive("n_gpus", n_gpus, "GPUs")
    return {
        "gpu_hours": hours,
        "gpu_days": hours / 24.0,
        "wall_days": wall_hours / 24.0,
        "energy_mwh": energy_wh(power, wall_hours) / WH_PER_MWH,
        "facility_mw": power / 1e6,
    }


def compute_optimal_split(flop: float, tokens_per_parameter: float = 20.0) -> tuple[float, float]:
    """``(N parameters, D tokens)`` with ``6·N·D = flop`` and ``D = tokens_per_parameter · N``.

    The ~20 tokens per parameter of Hoffmann et al. 2022 ("Chinchilla"), as
    refitted by Besiroglu et al. 2024 (see notebook 02).
    """
    flop = positive("flop", flop, "FLOP")
    ratio = positive("tokens_per_parameter", tokens_per_parameter, "tokens per parameter")
    n = math.sqrt(flop / (6.0 * ratio))
    return n, ratio * n
